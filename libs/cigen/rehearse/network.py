"""Telling "the step failed" from "the step could not reach its registry here".

This machine reaches PyPI, npm and Debian's mirrors and nothing else: a `go mod download`,
`cargo fetch`, `mvn verify` or `bundle install` fails on name resolution. Such a failure
says nothing about the workflow, so the step is reported not rehearsed, naming the host.
"""

from __future__ import annotations

import functools
import re
import socket

# Hosts a rehearsal can reach (the registries this machine is given).
REACHABLE = (
    "pypi.org",
    "files.pythonhosted.org",
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "deb.debian.org",
    "security.debian.org",
    "localhost",
)
# Hosts CI commonly needs that are out of reach here, named when no host is in the line.
KNOWN_UNREACHABLE = (
    "proxy.golang.org",
    "sum.golang.org",
    "storage.googleapis.com",
    "golang.org",
    "index.crates.io",
    "static.crates.io",
    "crates.io",
    "static.rust-lang.org",
    "repo.maven.apache.org",
    "repo1.maven.org",
    "plugins.gradle.org",
    "services.gradle.org",
    "downloads.gradle.org",
    "dl.google.com",
    "jcenter.bintray.com",
    "rubygems.org",
    "index.rubygems.org",
    "packagist.org",
    "repo.packagist.org",
    "api.nuget.org",
    "dotnetcli.azureedge.net",
    "builds.dotnet.microsoft.com",
    "repo.hex.pm",
    "hex.pm",
    "builds.hex.pm",
    "pub.dev",
    "download.swift.org",
    "objects.githubusercontent.com",
    "raw.githubusercontent.com",
    "codeload.github.com",
    "api.github.com",
    "github.com",
    "nodejs.org",
    "repo.yarnpkg.com",
    "deno.land",
    "registry-1.docker.io",
    "ghcr.io",
    "bun.sh",
)
_FAILURE = re.compile(
    r"could not resolve host|couldn't resolve host|temporary failure in name resolution"
    r"|name or service not known|no address associated with hostname|getaddrinfo"
    r"|enotfound|eai_again|failed to lookup address|unknownhostexception|unknown host"
    r"|no such host|failed to resolve|network is unreachable|nodename nor servname"
    r"|dial tcp|could not transfer artifact|failed to connect to",
    re.I,
)
# a host is never called: `io.open(` and `socket.getaddrinfo(` in a traceback are code;
# nor is it a folder of a path (`/tmp/autodevops-rehearse.x1y2/`), though a URL's is
_HOST = re.compile(
    r"(?<![\w.@-])(?<!(?<!/)/)((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?![\w(-])",
    re.I,
)
# Dotted names in code and stack traces (`Object.dispatchError`, `this.fetchData`):
# hostnames are printed in lower case
_IDENTIFIER = re.compile(r"[a-z][A-Z]|(?:^|\.)[A-Z][a-z]")
_FILE_SUFFIXES = (
    ".py",
    ".js",
    ".ts",
    ".rs",
    ".go",
    ".json",
    ".toml",
    ".lock",
    ".txt",
    ".md",
    ".yml",
    ".yaml",
    ".cfg",
    ".java",
    ".xml",
    ".rb",
    ".php",
    ".exs",
    ".ex",
    ".mjs",
    ".cjs",
    ".sh",
    ".gradle",
    ".kts",
    ".sum",
    ".mod",
    ".zip",
    ".gz",
    ".tgz",
    ".csv",
)


_SEE_DOCS = re.compile(
    r"\b(?:see|read|visit|documentation:?|docs:?|more info\w*:?)\s+<?https?://\S+", re.I
)
_NAMED = re.compile(
    r"(?:lookup|resolve host:?|enotfound|eai_again|unknownhostexception:|unknown host|"
    r"failed to resolve)\s+['\"]?([a-z0-9.-]+\.[a-z]{2,})(?![\w(-])"
    r"|([a-z0-9.-]+\.[a-z]{2,}):? (?:temporary failure in name resolution|"
    r"name or service not known|no such host)",
    re.I,
)


def unreachable_host(output: str) -> str | None:
    """The out-of-reach host a failed step's output shows it tried to reach, or None."""
    lowered = output.lower()
    for match in _NAMED.finditer(output):
        host = (match.group(1) or match.group(2)).lower().rstrip(".")
        if not _reachable(host):
            return host
    # a pointer to documentation names no host the step tried to reach: pytest's "See
    # https://docs.pytest.org/... for more info" under anyio's IPv6 lookup errors
    lines = [_SEE_DOCS.sub("", line) for line in output.splitlines()]
    for index, line in enumerate(lines):
        if _FAILURE.search(line):
            host = _beside(" ".join(lines[max(0, index - 2) : index + 2]), lowered)
            if host is not None:
                return host
    if _FAILURE.search(output):
        for host in KNOWN_UNREACHABLE:
            if host in lowered:
                return str(host)
    return None


def _beside(window: str, output: str) -> str | None:
    """An out-of-reach host named in the lines around a failure line (`output`: the whole
    output, lower case, for the URLs that name it)."""
    for host in _HOST.findall(window):
        if _IDENTIFIER.search(host):
            continue  # `Object.dispatchError` in a stack trace, not a host
        host = host.lower().rstrip(".")
        if host.endswith(_FILE_SUFFIXES) or _reachable(host):
            continue
        if not _named_like_a_host(host, output):
            continue  # `sock.settimeout(self.timeout)` in a traceback, not a host
        if "." in host and not host.replace(".", "").isdigit():
            return str(host)
    return None


# the top-level domains of hosts a test or tool names beside a failure; any other dotted
# word there (`self.timeout`, `config.retries`) is a host only when a URL names it
_COMMON_TLDS = frozenset(
    "com org net io dev app co edu gov info me sh ai xyz cloud site page run tech host link "
    "live online network blog land pub pm rs ly gg to so is im tv fm uk de fr jp cn ru nl eu "
    "ch se no fi us ca au in br it es pl cz at be dk kr tw hk sg nz local internal test".split()
)


def _named_like_a_host(host: str, output: str) -> bool:
    return host.rsplit(".", 1)[-1] in _COMMON_TLDS or f"://{host}" in output


# pre-commit cloning its hook repositories (`[INFO] Initializing environment for URL`)
_PRE_COMMIT = re.compile(r"^\[INFO\] Initializing environment for \S+", re.M)
_NPM_MISSING = re.compile(
    r"(?:npm (?:ERR!|error) 404 Not Found -|ERR_PNPM_FETCH_404)\s+GET "
    r"https://registry\.npmjs\.org/\S*/-/(\S+\.tgz)"
)


# what the Docker SDKs and CLI print when no daemon answers (testcontainers, compose)
_NO_DOCKER = re.compile(
    r"Cannot connect to the Docker daemon|Error while fetching server API version"
    r"|Could not find a valid Docker environment|docker\.sock: connect: no such file",
    re.I,
)


def registry_problem(output: str) -> str | None:
    """Why a failed step's output shows it could not get its dependencies (or the Docker
    daemon a runner has) here, or None."""
    if _NO_DOCKER.search(output):
        # arq's tests start Redis with testcontainers: a runner has Docker, this machine not
        return "the Docker daemon its tests start containers with is not running here"
    host = unreachable_host(output)
    if host is not None:
        if _PRE_COMMIT.search(output):
            return f"pre-commit hook repositories unreachable from here ({host})"
        if any(host == known or host.endswith("." + known) for known in KNOWN_UNREACHABLE):
            return f"dependency registry unreachable from here ({host})"
        # Not a registry: a web API or site the step (often a test) calls
        return f"a host unreachable from here ({host}; this machine reaches PyPI, npm, Debian)"
    # A tarball a lockfile pins that the registry reachable from here does not serve (this
    # registry can lag the public one): the step says nothing about the workflow.
    missing = _NPM_MISSING.search(output)
    if missing is not None:
        return f"the npm registry reachable from here does not serve {missing.group(1)}"
    return None


def _reachable(host: str) -> bool:
    return any(host == r or host.endswith("." + r) for r in REACHABLE)


# A private address nothing routes to: on a runner (and most machines) a connection there
# times out or is refused; a sandbox's transparent proxy accepts it.
_UNROUTED = ("10.255.255.1", 9)


@functools.cache
def answers_any_address() -> bool:
    """Whether this machine's network accepts a TCP connection to any address (a sandbox
    whose proxy answers every connect): tests expecting an unreachable address to time
    out or fail then fail here (libuv's tcp_connect_timeout), not on a runner."""
    try:
        with socket.create_connection(_UNROUTED, timeout=1.0):
            return True
    except OSError:
        return False


NETWORK_NOTE = (
    f"this machine's network accepts a TCP connection to any address "
    f"({_UNROUTED[0]}:{_UNROUTED[1]} answered): a test expecting an unreachable address to "
    "time out or fail fails here, not on a runner"
)
