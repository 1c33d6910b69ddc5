"""A small repository on disk and the Report an analysis would make of it."""

from __future__ import annotations

from pathlib import Path

from libs.analysis.report import (
    CiInfo,
    Command,
    Evidence,
    Fact,
    Pipeline,
    Recommendation,
    Report,
    SecretFinding,
    SecretsResult,
    Stack,
    Subproject,
)

# Made-up credentials in the shapes the redactor must catch (none is real).
AWS_KEY = "AKIAIOSFODNN7EXAMPLQ"  # autodevops:allow (a made-up key the redactor must mask)
DB_PASSWORD = "s3cr3t-Passw0rd-42"
UNFLAGGED_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SECRETS = (AWS_KEY, DB_PASSWORD, UNFLAGGED_TOKEN)

FILES = {
    "README.md": "# Demo\n\nA demo service.\n\nRun `make test` to test.\n",
    "pyproject.toml": '[project]\nname = "demo"\nrequires-python = ">=3.11"\n',
    ".github/workflows/ci.yml": (
        "name: ci\non: push\nenv:\n"
        f"  AWS_ACCESS_KEY_ID: {AWS_KEY}\n"  # line 4, flagged by the analysis
        f"  DATABASE_PASSWORD: {DB_PASSWORD}\n"  # not flagged: caught by its shape
        "jobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v4\n      - run: make test\n"
    ),
    "config/settings.py": (
        "import os\n\n"
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'
        f'DATABASE_PASSWORD = "{DB_PASSWORD}"\n'
        'REGION = "eu-west-1"\n'
    ),
    "Makefile": (
        f"test:\n\tpytest\n\ndeploy:\n\tcurl -H 'Authorization: token {UNFLAGGED_TOKEN}' x\n"
    ),
    "src/demo/__init__.py": "",
    "src/demo/app.py": "def main() -> None:\n    print('hi')\n",
}


def write_tree(root: Path, files: dict[str, str] | None = None) -> Path:
    for name, text in (files or FILES).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def sample_report(digest: str = "sha256:demo") -> Report:
    return Report(
        content_digest=digest,
        stack=Stack(
            subprojects=[
                Subproject(
                    path=".",
                    manifests=["pyproject.toml"],
                    package_managers=[Fact(name="pip", source="pyproject.toml")],
                    commands=[Command(purpose="test", run="make test", source="Makefile")],
                )
            ]
        ),
        ci=CiInfo(pipelines=[Pipeline(system="github_actions", path=".github/workflows/ci.yml")]),
        secrets=SecretsResult(
            findings=[
                SecretFinding(
                    rule="aws-access-key",
                    description="AWS access key id",
                    path=".github/workflows/ci.yml",
                    line=4,
                    preview="AKIA****",
                )
            ]
        ),
        recommendations=[
            Recommendation(
                id="secrets-committed",
                title="Remove committed credentials and rotate them",
                category="security",
                severity="critical",
                effort="medium",
                priority=1,
                fix="Move secrets to the CI secret store and rotate the exposed keys.",
                evidence=[Evidence(path=".github/workflows/ci.yml", line=4)],
            ),
            Recommendation(
                id="pin-actions",
                title="Pin GitHub Actions to commit SHAs",
                category="security",
                severity="medium",
                effort="low",
                priority=2,
                fix="Replace tags with full commit SHAs.",
            ),
        ],
    )


def answer(
    *recommendations: dict[str, object], summary: str = "Healthy enough."
) -> dict[str, object]:
    """A model answer in the response schema."""
    return {"summary": summary, "recommendations": list(recommendations)}


def rec(
    title: str, *paths: str, category: str = "ci_cd", severity: str = "high"
) -> dict[str, object]:
    return {
        "title": title,
        "category": category,
        "severity": severity,
        "effort": "low",
        "priority": 2,
        "evidence": [{"path": p} for p in paths],
        "fix": f"Do this: {title.lower()}.",
    }
