"""Validation finds what is wrong: each broken workflow fails the check meant to catch it."""

from __future__ import annotations

import pytest

from libs.cigen import generate
from libs.cigen.pins import vetted_pins
from libs.cigen.validate import validate
from tests.unit.cigen.reports import PYTHON_PIP

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
GOOD = f"""name: CI
on:
  pull_request:
permissions:
  contents: read
concurrency:
  group: ci-${{{{ github.ref }}}}
  cancel-in-progress: true
jobs:
  test:
    name: Test
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    steps:
      - uses: {CHECKOUT} # v7.0.1
        with:
          persist-credentials: false
      - run: make test
"""


def rules(content: str, platform: str = "github") -> set[tuple[str, str]]:
    result = validate(
        content, platform=platform, path=".github/workflows/ci.yml", pins=vetted_pins()
    )
    return {(f.validator, f.rule) for f in result.findings}


def test_a_hardened_workflow_passes_every_validator() -> None:
    result = validate(GOOD, platform="github", path="ci.yml", pins=vetted_pins())
    assert result.findings == []
    assert result.passed
    assert [(v.name, v.status) for v in result.validators] == [
        ("schema", "passed"),
        ("policy", "passed"),
        ("zizmor", "passed"),
        ("actionlint", "passed"),
    ]
    assert result.validators[2].tool is not None
    assert result.validators[2].tool.startswith("zizmor ")
    # shellcheck checks the run: steps through actionlint
    assert result.validators[3].tool == "actionlint 1.17.0"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (
                "      - run: make test\n",
                "      - run: echo ${{ github.event.pull_request.title }}\n",
            ),
            {("policy", "expression-in-run"), ("zizmor", "template-injection")},
        ),
        (
            (f"{CHECKOUT} # v7.0.1", "actions/checkout@v4"),
            {("policy", "unpinned-action"), ("zizmor", "unpinned-uses")},
        ),
        ((CHECKOUT, "actions/checkout@" + "a" * 40), {("policy", "unvetted-action")}),
        (
            ("          persist-credentials: false\n", "          fetch-depth: 1\n"),
            {("policy", "persist-credentials"), ("zizmor", "artipacked")},
        ),
        (
            ("permissions:\n  contents: read\n", ""),
            {("policy", "token-permissions"), ("zizmor", "excessive-permissions")},
        ),
        (("  contents: read\n", "  contents: write\n"), {("policy", "token-permissions")}),
        (
            ("  pull_request:\n", "  pull_request_target:\n"),
            {("policy", "dangerous-trigger"), ("zizmor", "dangerous-triggers")},
        ),
        (
            ("concurrency:\n  group: ci-${{ github.ref }}\n  cancel-in-progress: true\n", ""),
            {("policy", "concurrency")},
        ),
        (
            ("    timeout-minutes: 10\n", ""),
            {("policy", "job-timeout"), ("schema", "github-workflows-require-timeout:oneOf")},
        ),
        (("    runs-on: ubuntu-24.04\n", ""), {("schema", "github-workflows:oneOf")}),
        (
            (
                "    timeout-minutes: 10\n",
                "    timeout-minutes: 10\n    permissions:\n      contents: write\n",
            ),
            {("policy", "job-permissions")},
        ),
        (  # the runner context does not exist yet where job-level env is evaluated
            (
                "    timeout-minutes: 10\n",
                "    timeout-minutes: 10\n    env:\n      CACHE: ${{ runner.temp }}/cache\n",
            ),
            {("actionlint", "expression")},
        ),
        (
            ("      - run: make test\n", "      - run: pipx install pdm\n"),
            {("policy", "unpinned-install")},
        ),
        (
            ("      - run: make test\n", "      - run: npm install --global pnpm@10\n"),
            {("policy", "unpinned-install")},
        ),
        (
            ("      - run: make test\n", "      - run: go install example.org/tool@latest\n"),
            {("policy", "unpinned-install")},
        ),
        (  # shellcheck through actionlint: an unquoted glob in a test
            ("      - run: make test\n", "      - run: '[ -f $FILE ] && make test'\n"),
            {("actionlint", "shellcheck")},
        ),
    ],
)
def test_each_weakness_is_caught(change: tuple[str, str], expected: set[tuple[str, str]]) -> None:
    old, new = change
    assert old in GOOD
    found = rules(GOOD.replace(old, new))
    assert expected <= found, found


def test_pinned_installs_and_the_projects_own_dependencies_pass() -> None:
    for run in (
        "pipx install pdm==2.29.4",
        "python -m pip install -r requirements.txt -e .",
        "uvx pre-commit@4.7.0 run --all-files",
        "npm ci",
    ):
        assert rules(GOOD.replace("      - run: make test\n", f"      - run: {run}\n")) == set()


def test_broken_yaml_fails_without_running_the_rest() -> None:
    result = validate("jobs: [\n", platform="github", path="ci.yml", pins=vetted_pins())
    assert not result.passed
    assert [f.rule for f in result.findings] == ["yaml"]


def test_gitlab_schema_and_policy() -> None:
    good = "stages: [test]\nunit:\n  stage: test\n  timeout: 10 minutes\n  script: [make test]\n"
    assert rules(good, "gitlab") == set()
    misspelt = good.replace("  script: [make test]\n", "  scriptt: make test\n")
    assert rules(misspelt, "gitlab") == {("schema", "gitlab-ci:additionalProperties")}
    assert rules(good.replace("  timeout: 10 minutes\n", ""), "gitlab") == {
        ("policy", "job-timeout")
    }


def test_zizmor_that_cannot_finish_makes_the_validation_fail() -> None:
    result = validate(
        GOOD, platform="github", path="ci.yml", pins=vetted_pins(), zizmor_timeout=1e-6
    )
    zizmor = next(v for v in result.validators if v.name == "zizmor")
    assert zizmor.status == "not_run"
    assert zizmor.reason is not None
    assert "timed out" in zizmor.reason
    assert not result.passed


def test_a_generation_whose_audit_did_not_run_is_never_valid() -> None:
    generation = generate(PYTHON_PIP, linters=False)
    assert not generation.valid
    assert not generation.validation.passed
    zizmor = next(v for v in generation.validation.validators if v.name == "zizmor")
    assert zizmor.status == "not_run"
