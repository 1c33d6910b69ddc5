"""Hygiene checks, scoring and recommendations on whole fixture repositories."""

from __future__ import annotations

import json

from libs.analysis import analyze, rescore
from libs.analysis.report import Check, Report
from libs.analysis.scoring import band, category_score, score
from tests.unit.analysis.conftest import Build
from tests.unit.analysis.workflow_samples import BAD_WORKFLOW, GOOD_WORKFLOW


def by_id(report: Report) -> dict[str, Check]:
    return {c.id: c for c in report.checks}


WELL_KEPT: dict[str, str | bytes] = {
    "README.md": "# Service\n\n" + "How to install, run and test it.\n" * 20,
    "LICENSE": "MIT License\n",
    "SECURITY.md": "Report vulnerabilities to security@example.org\n",
    "CONTRIBUTING.md": "Open a pull request.\n",
    ".github/CODEOWNERS": "* @acme/maintainers\n",
    ".github/dependabot.yml": "version: 2\n",
    ".github/workflows/ci.yml": GOOD_WORKFLOW,
    ".github/workflows/codeql.yml": "on: push\npermissions:\n  contents: read\njobs:\n  a:\n"
    "    runs-on: ubuntu-latest\n    steps:\n      - uses: github/codeql-action/init@"
    "4dd16135b69a43b6c8efb853346f8437d92d3c93 # v3\n",
    "package.json": json.dumps(
        {"name": "svc", "scripts": {"test": "jest"}, "devDependencies": {"jest": "^29"}}
    ),
    "package-lock.json": "{}",
    "src/index.test.js": "test('x', () => {});\n",
    "fuzz/fuzz_parser.js": "module.exports = () => {};\n",
    "Dockerfile": "FROM node:20.12.2-alpine@sha256:" + "a" * 64 + "\nUSER node\n",
}


def test_well_kept_repository_scores_excellent(build: Build) -> None:
    report = analyze(build(WELL_KEPT))
    checks = by_id(report)
    failing = {c.id: c.message for c in report.checks if c.status in ("fail", "partial")}
    assert failing == {}
    assert checks["Packaging"].status == "unknown"
    assert report.score.overall == 100
    assert report.score.band == "excellent"
    assert report.recommendations == []


def test_neglected_repository_loses_points_with_evidence_and_fixes(build: Build) -> None:
    files: dict[str, str | bytes] = {
        "package.json": json.dumps({"name": "svc", "dependencies": {"express": "^4"}}),
        "index.js": "require('express')\n",
        "Dockerfile": "FROM node:latest\nCMD node index.js\n",
        "tools/helper.exe": b"MZ\x90\x00binary",
        ".github/workflows/pr.yml": BAD_WORKFLOW,
    }
    report = analyze(build(files))
    checks = by_id(report)
    assert checks["Dangerous-Workflow"].status == "fail"
    assert {e.line for e in checks["Dangerous-Workflow"].evidence} == {9, 10}
    assert checks["Token-Permissions"].status == "fail"
    assert checks["workflow-audit"].status == "fail"
    assert checks["Pinned-Dependencies"].status == "fail"
    assert {e.detail for e in checks["Pinned-Dependencies"].evidence} == {
        "action not pinned to a commit SHA: actions/checkout@v4",
        "base image not pinned by digest: node:latest",
    }
    assert [e.path for e in checks["Binary-Artifacts"].evidence] == ["tools/helper.exe"]
    assert checks["dockerfile-non-root"].evidence[0].path == "Dockerfile"
    assert checks["dockerfile-pinned-base"].status == "fail"
    assert checks["lockfile-committed"].evidence[0].path == "package.json"
    assert checks["tests-present"].status == "fail"
    assert checks["readme"].status == "fail"
    for check in report.checks:
        if check.status in ("fail", "partial") and check.id not in ("ci-runs-tests",):
            assert check.fix, check.id
    assert report.score.band in ("poor", "critical")
    priorities = [r.priority for r in report.recommendations]
    assert priorities == list(range(1, len(priorities) + 1))
    assert report.recommendations[0].id == "det-dangerous-workflow"
    assert report.recommendations[0].severity == "critical"
    assert all(r.evidence for r in report.recommendations)
    readme = next(r for r in report.recommendations if r.id == "det-readme")
    assert [(e.path, e.detail) for e in readme.evidence] == [(".", "no README file in the root")]


def test_checks_that_cannot_be_assessed_do_not_count() -> None:
    checks = [
        Check(id="a", category="security", status="pass", weight=5, score=1.0),
        Check(id="b", category="security", status="unknown", weight=50, score=0.0),
        Check(id="c", category="security", status="not_applicable", weight=50, score=0.0),
        Check(id="d", category="testing", status="fail", weight=10, score=0.0),
    ]
    assert category_score(checks, "security") == 100
    assert category_score(checks, "documentation") is None
    result = score(checks)
    # security 100 (weight 30) and testing 0 (weight 20) are the only assessed categories
    assert result.overall == 60
    assert result.band == "fair"


def test_bands() -> None:
    assert [band(s) for s in (100, 90, 89, 75, 74, 50, 49, 30, 29, 0)] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "fair",
        "fair",
        "poor",
        "poor",
        "critical",
        "critical",
    ]


def test_empty_repository_is_scored_on_what_applies(build: Build) -> None:
    report = analyze(build({}))
    assert report.stack.subprojects == []
    assessed = {c.id for c in report.checks if c.assessed}
    # only what is missing can be assessed: no file was shown to be clean or secure
    assert assessed == {"readme", "License", "contributing", "codeowners"}
    assert {c.category: c.score for c in report.score.categories}["testing"] is None


def test_rescore_sees_a_new_workflow_and_reuses_the_secret_scan(build: Build) -> None:
    root = build({"package.json": json.dumps({"name": "x"}), "package-lock.json": "{}"})
    before = analyze(root)
    assert by_id(before)["ci-present"].status == "fail"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(GOOD_WORKFLOW)
    after = rescore(root, before)
    assert by_id(after)["ci-present"].status == "pass"
    assert after.secrets is before.secrets
    assert after.score.overall > before.score.overall


def test_sast_counts_gitlab_sast_template_and_component_includes(build: Build) -> None:
    code = {"main.py": "print(1)\n", "requirements.txt": "flask\n"}
    pipelines = {
        "template": "include:\n  - template: Jobs/SAST.gitlab-ci.yml\ntest:\n  script: [pytest]\n",
        "older template": "include:\n  template: Security/SAST.gitlab-ci.yml\n",
        "component": "include:\n  - component: $CI_SERVER_FQDN/components/sast/sast@2.0.2\n",
    }
    for name, pipeline in pipelines.items():
        sast = by_id(analyze(build({**code, ".gitlab-ci.yml": pipeline})))["SAST"]
        assert sast.status == "pass", name
        assert sast.evidence[0].path == ".gitlab-ci.yml"
    unrelated = "include:\n  - template: Jobs/Build.gitlab-ci.yml\n  - local: ci/sast.yml\n"
    sast = by_id(analyze(build({**code, ".gitlab-ci.yml": unrelated})))["SAST"]
    assert sast.status == "fail"


def test_an_empty_directory_earns_no_points_a_small_project_does(build: Build) -> None:
    empty = analyze(build({}))
    small = analyze(
        build(
            {
                "README.md": "# tool\n\n"
                + "Install it with pip, run `tool`, test with pytest.\n" * 8,
                "pyproject.toml": '[project]\nname = "tool"\ndependencies = ["click"]\n',
                "tool/__init__.py": "def main() -> None:\n    print('hi')\n",
                "tests/test_tool.py": "from tool import main\n\ndef test_main():\n    main()\n",
            }
        )
    )
    assert [c.id for c in empty.checks if c.status == "pass"] == []  # nothing shown clean
    categories = {c.category: c.score for c in empty.score.categories}
    assert categories["security"] is None  # not assessed: no points, no loss
    assert empty.score.overall < small.score.overall
