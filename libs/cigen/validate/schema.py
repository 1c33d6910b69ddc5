"""JSON-schema validation with the schemas check-jsonschema vendors, run in process."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from jsonschema import Draft7Validator
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from libs.cigen.validate.result import Finding

# platform -> schema files (package, name); all must pass.
SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "github": (
        ("check_jsonschema.builtin_schemas.vendor", "github-workflows.json"),
        ("check_jsonschema.builtin_schemas.custom", "github-workflows-require-timeout.json"),
    ),
    "gitlab": (("check_jsonschema.builtin_schemas.vendor", "gitlab-ci.json"),),
}
MAX_FINDINGS = 20


class YamlSyntaxError(ValueError):
    pass


def parse_yaml(content: str) -> Any:
    """Parse CI YAML the way GitHub does (YAML 1.2: `on` is a string, not true)."""
    try:
        return YAML(typ="safe", pure=True).load(content)
    except YAMLError as exc:
        raise YamlSyntaxError(str(exc)) from exc


@functools.cache
def _validators(platform: str) -> tuple[tuple[str, Draft7Validator], ...]:
    loaded = []
    for package, name in SCHEMAS[platform]:
        schema = json.loads(resources.files(package).joinpath(name).read_text("utf-8"))
        validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
        loaded.append((name.removesuffix(".json"), validator))
    return tuple(loaded)


def schema_names(platform: str) -> str:
    return ", ".join(name for name, _ in _validators(platform)) + " (check-jsonschema)"


def check_schema(document: Any, platform: str) -> list[Finding]:
    findings: list[Finding] = []
    for name, validator in _validators(platform):
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
            location = ".".join(str(p) for p in error.absolute_path) or "(root)"
            findings.append(
                Finding(
                    validator="schema",
                    rule=f"{name}:{error.validator}",
                    message=_short(error.message),
                    location=location,
                )
            )
            if len(findings) >= MAX_FINDINGS:
                return findings
    return findings


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
