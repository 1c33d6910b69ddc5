"""CI pipeline detection and the zizmor workflow audit (the real binary, offline)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from libs.analysis.ci import analyse_ci
from libs.analysis.report import Fact, Pipeline
from libs.analysis.tree import Tree
from libs.analysis.workflows import audit, audit_text
from tests.unit.analysis.conftest import Build
from tests.unit.analysis.workflow_samples import BAD_WORKFLOW, GOOD_WORKFLOW


def test_pipelines_of_every_system_and_what_they_do(build: Build) -> None:
    root = build(
        {
            ".github/workflows/ci.yml": GOOD_WORKFLOW,
            ".github/workflows/release.yaml": "on:\n  push:\n    tags: ['v*']\njobs:\n  r:\n"
            "    runs-on: ubuntu-latest\n    steps:\n      - run: uv build\n"
            "      - uses: pypa/gh-action-pypi-publish@release/v1\n",
            ".gitlab-ci.yml": "test:\n  script:\n    - pytest -q\n  cache:\n    paths: [.cache]\n",
            ".circleci/config.yml": "jobs:\n  build:\n    steps:\n      - run: go build ./...\n",
            ".travis.yml": "script: bundle exec rspec\n",
            "azure-pipelines.yml": "steps:\n- script: dotnet test\n",
            "Jenkinsfile": "pipeline { stages { stage('t') { steps { sh 'mvn -B verify' } } } }\n",
            "bitbucket-pipelines.yml": "pipelines:\n  default:\n    - step:\n        script:\n"
            "          - cargo clippy\n",
            "appveyor.yml": "test_script:\n  - ps: dotnet test\n",
            ".github/dependabot.yml": "version: 2\n",
            "renovate.json": "{}",
        }
    )
    expected = [
        Pipeline(system="circleci", path=".circleci/config.yml", builds=True),
        Pipeline(
            system="github_actions",
            path=".github/workflows/ci.yml",
            runs_tests=True,
            runs_lint=True,
            builds=True,
            caches=True,
        ),
        Pipeline(
            system="github_actions",
            path=".github/workflows/release.yaml",
            builds=True,
            releases=True,
        ),
        Pipeline(system="gitlab_ci", path=".gitlab-ci.yml", runs_tests=True, caches=True),
        Pipeline(system="travis", path=".travis.yml", runs_tests=True),
        Pipeline(system="jenkins", path="Jenkinsfile", runs_tests=True, builds=True),
        Pipeline(system="appveyor", path="appveyor.yml", runs_tests=True),
        Pipeline(system="azure_pipelines", path="azure-pipelines.yml", runs_tests=True),
        Pipeline(system="bitbucket", path="bitbucket-pipelines.yml", runs_lint=True),
    ]
    ci = analyse_ci(Tree.scan(root))
    flags = ("runs_tests", "runs_lint", "builds", "caches", "releases")
    assert [p.system for p in ci.pipelines] == [p.system for p in expected]
    for found, wanted in zip(ci.pipelines, expected, strict=True):
        assert found.path == wanted.path
        assert [getattr(found, f) for f in flags] == [getattr(wanted, f) for f in flags]
    assert all(p.jobs for p in ci.pipelines), "every system's reader finds the job"
    assert ci.dependency_update_tools == [
        Fact(name="dependabot", source=".github/dependabot.yml"),
        Fact(name="renovate", source="renovate.json"),
    ]


def test_commands_of_more_ecosystems_and_workspaces_are_recognised(build: Build) -> None:
    scripts = {
        "flutter": "- flutter analyze\n- flutter test\n- flutter build apk\n",
        "dart": "- dart format --output=none --set-exit-if-changed .\n- dart test\n",
        "sbt": "- sbt scalafmtCheckAll\n- sbt +test\n",
        "go": "- go vet ./...\n- go test ./...\n- go build ./...\n",
        "workspaces": "- pnpm -r --if-present run lint\n- pnpm -r --if-present run test\n"
        "- pnpm -r run build\n",
        "composer": "- composer run-script lint\n- composer test\n- docker build .\n",
        "typescript": "- yarn typecheck\n- yarn test\n- yarn build\n",
    }
    for name, script in scripts.items():
        root = build({".travis.yml": f"script:\n{script}"})
        (pipeline,) = analyse_ci(Tree.scan(root)).pipelines
        assert (pipeline.runs_tests, pipeline.runs_lint) == (True, True), name
        assert pipeline.builds == (name != "dart"), name
    # the tests of the composer pipeline are seen through `composer test`, not a runner name
    (composer,) = analyse_ci(Tree.scan(build({".travis.yml": "script: composer test\n"}))).pipelines
    assert composer.runs_tests


def _workflow(*steps: str) -> str:
    body = "".join(f"      - {step}\n" for step in steps)
    return f"on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n{body}"


SHA = "757bedc3f972eb7227a1aa657651f15a8527c817"


def test_caching_and_building_done_by_actions_are_recognised(build: Build) -> None:
    # attrs caches through hynek/setup-cached-uv and builds with build-and-inspect
    workflows = {
        "attrs-ci": _workflow(
            f"uses: hynek/build-and-inspect-python-package@{SHA} # v2.14.0",
            f"uses: hynek/setup-cached-uv@{SHA} # v2.3.0",
            "run: uvx nox -e tests",
        ),
        "cache-restore": _workflow("uses: actions/cache/restore@v4", "run: make"),
        "rust-cache": _workflow("uses: Swatinem/rust-cache@v2", "run: cargo build"),
        "setup-python": _workflow(
            "uses: actions/setup-python@v5\n        with:\n          cache: pip"
        ),
        "uv-default": _workflow(f"uses: astral-sh/setup-uv@{SHA} # v6.1.0"),
        "uv-explicit": _workflow(
            "uses: astral-sh/setup-uv@v3\n        with:\n          enable-cache: true"
        ),
        "go-default": _workflow("uses: actions/setup-go@v5"),
        "cibuildwheel": _workflow("uses: pypa/cibuildwheel@v2.21"),
        "maturin": _workflow(
            "uses: PyO3/maturin-action@v1\n        with:\n          command: build"
        ),
        # not caching:
        "uv-old": _workflow("uses: astral-sh/setup-uv@v4", "run: uv sync"),
        "uv-off": _workflow(
            "uses: astral-sh/setup-uv@v6\n        with:\n          enable-cache: false"
        ),
        "go-off": _workflow("uses: actions/setup-go@v5\n        with:\n          cache: false"),
        "node-off": _workflow("uses: actions/setup-node@v4\n        with:\n          cache: ''"),
    }
    root = build({f".github/workflows/{name}.yml": text for name, text in workflows.items()})
    found = {
        p.path.removeprefix(".github/workflows/").removesuffix(".yml"): (p.caches, p.builds)
        for p in analyse_ci(Tree.scan(root)).pipelines
    }
    assert {name for name, (caches, _) in found.items() if caches} == {
        "attrs-ci", "cache-restore", "rust-cache", "setup-python", "uv-default",
        "uv-explicit", "go-default",
    }  # fmt: skip
    assert {name for name, (_, builds) in found.items() if builds} == {
        "attrs-ci", "cache-restore", "rust-cache", "cibuildwheel", "maturin"
    }  # fmt: skip


def test_zizmor_findings_are_mapped_with_file_and_line(build: Build) -> None:
    result = audit(Tree.scan(build({".github/workflows/pr.yml": BAD_WORKFLOW})))
    assert result.status == "ok"
    assert result.tool is not None
    assert result.tool.startswith("zizmor ")
    by_audit = {f.audit: f for f in result.findings}
    assert {"dangerous-triggers", "template-injection", "unpinned-uses"} <= set(by_audit)
    injection = by_audit["template-injection"]
    assert (injection.severity, injection.path, injection.line) == (
        "high",
        ".github/workflows/pr.yml",
        10,
    )
    assert injection.url is not None


def test_a_workflow_given_as_text_is_audited_the_same_way(build: Build) -> None:
    from_tree = audit(Tree.scan(build({".github/workflows/pr.yml": BAD_WORKFLOW})))
    from_text = audit_text(BAD_WORKFLOW, path=".github/workflows/pr.yml")
    assert from_text.status == "ok"
    assert from_text.tool == from_tree.tool
    assert from_text.findings == from_tree.findings
    assert audit_text(GOOD_WORKFLOW, path="ci.yml").findings == []


def test_no_workflows_means_nothing_to_audit(build: Build) -> None:
    result = audit(Tree.scan(build({"README.md": "x\n"})))
    assert (result.status, result.findings) == ("no_workflows", [])


def test_missing_zizmor_is_reported_not_guessed(
    build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build({".github/workflows/pr.yml": BAD_WORKFLOW})
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    result = audit(Tree.scan(root))
    assert (result.status, result.reason) == ("not_run", "zizmor is not installed")


def fake_zizmor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """An interpreter directory whose `zizmor` prints a version and then runs `script`."""
    bindir = tmp_path / "fake-venv" / "bin"
    bindir.mkdir(parents=True)
    fake = bindir / "zizmor"
    version = 'if [ "$1" = "--version" ]; then echo "zizmor 0.0.1"; exit 0; fi\n'
    fake.write_text(f"#!/bin/sh\n{version}{script}")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bindir / "python"))


def test_a_failing_zizmor_is_reported_with_its_error(
    build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build({".github/workflows/pr.yml": BAD_WORKFLOW})
    fake_zizmor(tmp_path, monkeypatch, 'echo "fatal: cannot parse input" >&2\nexit 2\n')
    result = audit(Tree.scan(root))
    assert result.status == "not_run"
    assert result.tool == "zizmor 0.0.1"
    assert result.reason == "zizmor failed: fatal: cannot parse input"


def test_a_hanging_zizmor_times_out(
    build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = build({".github/workflows/pr.yml": BAD_WORKFLOW})
    fake_zizmor(tmp_path, monkeypatch, "exec sleep 30\n")
    result = audit(Tree.scan(root), timeout=0.5)
    assert (result.status, result.reason) == ("not_run", "zizmor timed out after 0.5 s")
