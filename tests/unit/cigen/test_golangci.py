"""golangci-lint runs at the major version its configuration is written for."""

from __future__ import annotations

from libs.analysis.report import Fact, Report
from libs.cigen import generate
from tests.unit.cigen.reports import report, sub

V1 = "go run github.com/golangci/golangci-lint/cmd/golangci-lint@v1.64.8 run"
V2 = "go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.5.0 run"


def go(config_version: str) -> Report:
    project = sub(manifest="go.mod", managers=["go"], lockfiles=["go.sum"], tests=["go test"])
    project.tools = [
        Fact(name="golangci-lint", source=".golangci.yml", version=config_version, configured=True)
    ]
    return report(project)


def test_a_v1_configuration_runs_golangci_lint_v1() -> None:
    github = generate(go("1"))
    assert f"run: {V1}" in github.content
    assert "golangci/golangci-lint-action" not in github.content
    assert (
        '.golangci.yml is a golangci-lint v1 configuration (no `version: "2"`); '
        "golangci-lint v1.64.8 runs it"
    ) in " ".join(github.notes)
    assert f"- {V1}" in generate(go("1"), platform="gitlab").content


def test_a_v2_configuration_runs_v2_pinned_on_both_platforms() -> None:
    assert "golangci/golangci-lint-action@" in generate(go("2")).content
    gitlab = generate(go("2"), platform="gitlab").content
    assert f"- {V2}" in gitlab
    assert "@latest" not in gitlab
