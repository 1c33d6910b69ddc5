"""Report formats: SARIF valid against the 2.1.0 schema and GitHub's rules; the scan CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from libs.analysis import analyze
from libs.analysis.render import render, worst_at_or_above
from tests.unit.analysis.conftest import Build
from tests.unit.analysis.secret_corpus import positives
from tests.unit.analysis.workflow_samples import BAD_WORKFLOW

SCHEMA = Path(__file__).parent / "schemas" / "sarif-2.1.0.json"
REPO_ROOT = Path(__file__).resolve().parents[3]


def leaky_repo(build: Build) -> Path:
    samples = {s.name: s for s in positives(77)}
    return build(
        {
            "package.json": json.dumps({"name": "x", "dependencies": {"express": "^4"}}),
            "src/config.js": samples["stripe-test-js"].text,
            ".env": samples["github-pat-shell"].text,
            ".github/workflows/pr.yml": BAD_WORKFLOW,
            "Dockerfile": "FROM node:latest\n",
        }
    )


def test_sarif_is_valid_and_fit_for_github_code_scanning(build: Build) -> None:
    report = analyze(leaky_repo(build))
    sarif = json.loads(render(report, "sarif"))
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    errors = sorted(validator.iter_errors(sarif), key=lambda e: list(e.path))
    assert errors == []

    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    results: list[dict[str, Any]] = run["results"]
    assert {r["ruleId"] for r in results} >= {
        "secret/github-token",
        "secret/stripe-test-key",
        "workflow/template-injection",
        "check/Dangerous-Workflow",
        "check/Pinned-Dependencies",
    }
    for result in results:  # what GitHub requires of each result
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert result["message"]["text"]
        [location] = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")), uri
        assert physical["region"]["startLine"] >= 1
        assert result["partialFingerprints"]
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert 0.0 < float(rule["properties"]["security-severity"]) <= 10.0


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_other_formats_render(build: Build, fmt: str) -> None:
    report = analyze(leaky_repo(build))
    text = render(report, fmt)  # type: ignore[arg-type]
    assert "github-token" in text or "GitHub token" in text
    if fmt == "json":
        assert json.loads(text)["version"] == report.version


def test_fail_on_threshold(build: Build) -> None:
    report = analyze(leaky_repo(build))
    assert worst_at_or_above(report, "critical")  # the GitHub token
    clean = analyze(build({"README.md": "# docs\n" * 100}))
    assert worst_at_or_above(clean, "high") == []
    # missing practices (no licence, no security policy...) gate only when asked for
    assert worst_at_or_above(clean, "low") == []
    missing = worst_at_or_above(clean, "low", missing=True)
    assert "recommendation det-license" in missing
    assert "recommendation det-security-policy" in missing


def test_fail_on_counts_findings_in_the_tree_not_their_summary(build: Build) -> None:
    workflow = (
        "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
    )
    report = analyze(build({".github/workflows/ci.yml": workflow, "README.md": "# x\n"}))
    failing = worst_at_or_above(report, "medium")
    assert "recommendation det-pinned-dependencies" in failing  # an unpinned action
    assert not any("det-leaked-secrets" in item for item in failing)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_scan_cli_without_services(build: Build, tmp_path: Path) -> None:
    root = leaky_repo(build)
    done = run_cli("scan", str(root), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["secrets"]["findings"]

    gated = run_cli("scan", str(root), "--fail-on", "critical")
    assert gated.returncode == 1
    assert "at or above critical" in gated.stderr
    assert "score" in gated.stdout

    out = tmp_path / "report.sarif"
    written = run_cli("scan", str(root), "--format", "sarif", "-o", str(out))
    assert written.returncode == 0
    assert json.loads(out.read_text())["version"] == "2.1.0"


def test_scan_cli_rejects_bad_input(tmp_path: Path) -> None:
    missing = run_cli("scan", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert "is not a directory" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = run_cli("scan", str(tmp_path), "--fail-on", "severe")
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr


def test_this_repository_passes_its_own_critical_gate() -> None:
    # Fixtures holding made-up credentials carry the inline allow marker; anything
    # critical found here is a real leak or a fixture someone forgot to mark.
    done = run_cli("scan", str(REPO_ROOT), "--fail-on", "critical", "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # git lists the files in a clone: .venv/, .data/ and caches are not read
    assert report["stats"]["listed_by"] == ("git" if (REPO_ROOT / ".git").exists() else "walk")
    assert report["stats"]["files"] > 300
