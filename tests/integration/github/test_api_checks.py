"""The API checks against the fake GitHub: assessed with a token that can read them, else
"not assessed" (unknown, no points), each with the API fact as its evidence."""

from __future__ import annotations

import time

from libs.analysis.report import Check
from libs.github.app import GitHubApp
from services.worker.github_app.api_checks import api_checks
from tests.fakes.github import FakeGitHub
from tests.fakes.github_app import DEFAULT_PERMISSIONS
from tests.fakes.github_state import FakeRepo

FILES = {"README.md": "# lib\n"}


def well_kept(fake: FakeGitHub) -> FakeRepo:
    repo = fake.add_repo("acme/lib", FILES)
    for n in range(11):
        repo.commit({**FILES, "n.txt": str(n)}, message=f"change {n}")
    for sha in list(repo.commits)[-5:]:
        repo.statuses[sha] = [{"state": "success", "context": "ci/test"}]
    repo.protection = {
        "required_pull_request_reviews": {"required_approving_review_count": 1},
        "required_status_checks": {"strict": True, "contexts": ["ci/test"]},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
    }
    repo.pulls += [
        {
            "number": n,
            "state": "closed",
            "merged_at": "2026-11-30T10:00:00Z",
            "user": {"login": "dev"},
            "head": {"ref": f"f{n}"},
            "base": {"ref": "main"},
            "reviews": [{"state": "APPROVED", "user": {"login": "lead"}}],
        }
        for n in (1, 2)
    ]
    repo.dependabot_alerts = repo.dependabot_security_updates = True
    repo.private_vulnerability_reporting = True
    repo.releases = [
        {
            "tag_name": "v1.0.0",
            "assets": [{"name": "lib.tar.gz"}, {"name": "lib.tar.gz.sigstore.json"}],
        }
    ]
    return repo


def by_id(checks: list[Check]) -> dict[str, Check]:
    return {c.id: c for c in checks}


async def test_every_check_is_assessed_with_its_evidence(
    app: GitHubApp, fake_github: FakeGitHub
) -> None:
    installation = fake_github.apps.install("acme", [well_kept(fake_github)])
    checks = by_id(await api_checks(app.client(installation.id), "acme/lib", "main"))
    assert {k: c.status for k, c in checks.items()} == {
        "Branch-Protection": "pass",
        "Code-Review": "pass",
        "CI-Status": "pass",
        "Dependabot-Security-Updates": "pass",
        "Private-Vulnerability-Reporting": "pass",
        "Signed-Releases": "pass",
        "Maintained": "pass",
    }
    protection = checks["Branch-Protection"].evidence
    assert any(e.path == "github-api:/repos/acme/lib/branches/main/protection" for e in protection)
    assert all(c.evidence for c in checks.values())
    assert checks["Code-Review"].evidence[0].detail == "approved by a reviewer"


async def test_what_the_token_cannot_read_is_not_assessed(
    app: GitHubApp, fake_github: FakeGitHub
) -> None:
    repo = well_kept(fake_github)
    repo.pulls[0]["reviews"] = []  # merged without review
    repo.statuses[repo.branches["main"]] = [{"state": "failure", "context": "ci/test"}]
    permissions = {k: v for k, v in DEFAULT_PERMISSIONS.items() if k != "administration"}
    installation = fake_github.apps.install("acme", [repo], permissions=permissions)
    checks = by_id(await api_checks(app.client(installation.id), "acme/lib", "main"))
    for name in (
        "Branch-Protection",
        "Dependabot-Security-Updates",
        "Private-Vulnerability-Reporting",
    ):
        assert checks[name].status == "unknown", name
        assert checks[name].message.startswith("not assessed")
        assert checks[name].score == 0
    assert (checks["Code-Review"].status, checks["Code-Review"].score) == ("partial", 0.5)
    assert checks["CI-Status"].status == "partial"
    # With rulesets the default branch's rules are readable without administration.
    repo.rules = [{"type": "non_fast_forward"}, {"type": "deletion"}]
    checks = by_id(await api_checks(app.client(installation.id), "acme/lib", "main"))
    assert (checks["Branch-Protection"].status, checks["Branch-Protection"].score) == (
        "partial",
        0.5,
    )


async def test_without_a_token_nothing_is_assessed() -> None:
    checks = await api_checks(None, "acme/lib", "main")
    assert len(checks) == 7
    assert {c.status for c in checks} == {"unknown"}


async def test_a_quiet_unsigned_repository_fails_what_it_lacks(
    app: GitHubApp, fake_github: FakeGitHub
) -> None:
    repo = fake_github.add_repo("acme/old", FILES)
    for commit in repo.commits.values():
        commit.date = time.time() - 200 * 86400
    repo.releases = [{"tag_name": "v0.1", "assets": [{"name": "old.zip"}]}]
    installation = fake_github.apps.install("acme", [repo])
    checks = by_id(await api_checks(app.client(installation.id), "acme/old", "main"))
    assert checks["Maintained"].status == "fail"
    assert checks["Signed-Releases"].status == "fail"
    assert checks["Branch-Protection"].status == "fail"
    assert checks["CI-Status"].status == "fail"
    assert checks["Code-Review"].status == "unknown"  # nothing merged to look at
