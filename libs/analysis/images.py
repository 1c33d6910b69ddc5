"""The runtime a container image provides, from its name and tag: `python:3.12-slim` is
Python 3.12, `cimg/node:20.11` Node 20.11, `maven:3.9-eclipse-temurin-21` Java 21.

CI jobs that run in an image and Dockerfiles' base images say which runtime the project
builds with; both readers share this table.
"""

from __future__ import annotations

import re

# image name (registry and `library/` stripped) -> runtime
IMAGES = {
    "python": "python",
    "circleci/python": "python",
    "cimg/python": "python",
    "node": "node",
    "circleci/node": "node",
    "cimg/node": "node",
    "golang": "go",
    "circleci/golang": "go",
    "cimg/go": "go",
    "rust": "rust",
    "cimg/rust": "rust",
    "ruby": "ruby",
    "circleci/ruby": "ruby",
    "cimg/ruby": "ruby",
    "php": "php",
    "circleci/php": "php",
    "cimg/php": "php",
    "composer": "php",
    "openjdk": "java",
    "eclipse-temurin": "java",
    "amazoncorretto": "java",
    "azul/zulu-openjdk": "java",
    "ibm-semeru-runtimes": "java",
    "sapmachine": "java",
    "circleci/openjdk": "java",
    "cimg/openjdk": "java",
    "elixir": "elixir",
    "hexpm/elixir": "elixir",
    "cimg/elixir": "elixir",
    "erlang": "otp",
    "dotnet/sdk": "dotnet",
    "mcr.microsoft.com/dotnet/sdk": "dotnet",
    "mcr.microsoft.com/dotnet/aspnet": "dotnet",
    "mcr.microsoft.com/dotnet/runtime": "dotnet",
    "oven/bun": "bun",
    "denoland/deno": "deno",
    "swift": "swift",
    "dart": "dart",
    "gradle": "java",
    "maven": "java",
}
# build tool images whose tag names the JDK: maven:3.9-eclipse-temurin-21, gradle:8-jdk17
_JDK_IN_TAG = re.compile(r"(?:jdk|temurin|corretto|openjdk|zulu|semeru|sapmachine)-?(\d+)")
_VERSION = re.compile(r"^v?(\d+(?:\.\d+)*)")
_VARIABLE = re.compile(r"\$\{?\w|\$\(|\{\{|<<")


def image_runtime(image: str) -> tuple[str, str] | None:
    """(runtime, version) of a container image, or None when it names no known runtime
    or no version (`python:latest`, an unresolved `$PYTHON_IMAGE`)."""
    image = image.strip().split("@", 1)[0]
    if not image or _VARIABLE.search(image.partition(":")[0]):
        return None
    name, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "")
    name = re.sub(r"^(?:docker\.io/|index\.docker\.io/)?(?:library/)?", "", name.lower())
    runtime = IMAGES.get(name)
    if runtime is None or not tag:
        return None
    if name.rsplit("/", 1)[-1] in ("maven", "gradle"):
        jdk = _JDK_IN_TAG.search(tag)
        return ("java", jdk.group(1)) if jdk else None
    match = _VERSION.match(tag)
    if match is None:
        return None
    return runtime, match.group(1)
