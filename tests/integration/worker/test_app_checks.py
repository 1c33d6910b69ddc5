"""GitHub App mode through a real analysis worker: the check run, its annotations on the
changed lines, SARIF to code scanning, score history and the regression rule."""

from __future__ import annotations

import random
import string
import uuid

import asyncpg
import msgspec
import pytest

from libs.common import jobs
from libs.common.config import SecretStr, Settings
from libs.common.db import installations as installations_db
from libs.common.db import jobs as jobs_db
from libs.common.db import repos as repos_db
from libs.common.redis import events, keys, streams
from libs.common.schemas import Job, JobKind
from services.worker.arq_workers import build_worker, stop_worker
from services.worker.deps import Deps
from tests.conftest import Tenant
from tests.fakes.github import FakeGitHub
from tests.fakes.github_app import FakeInstallation
from tests.fakes.github_state import FakeRepo

PROJECT = {
    "README.md": "# shop\n\nA small web shop.\n",
    "pyproject.toml": '[project]\nname = "shop"\nrequires-python = ">=3.12"\n',
    "src/shop/__init__.py": "",
    "src/shop/app.py": "def app():\n    return 1\n",
}


def aws_key(rng: random.Random) -> str:
    # Built at run time: no credential-shaped literal in the repository.
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))


@pytest.fixture
def settings(settings: Settings, fake_github: FakeGitHub) -> Settings:
    """The worker's settings as a GitHub App (the worker conftest's `deps` reads them)."""
    key = fake_github.apps.create()
    return msgspec.structs.replace(
        settings,
        github_api_url=fake_github.api_url,
        github_app_id=fake_github.apps.app_id,
        github_app_private_key=SecretStr(key),
        job_max_tries=1,
    )


@pytest.fixture
def shop(fake_github: FakeGitHub) -> FakeRepo:
    return fake_github.add_repo("acme/shop", PROJECT, private=True)


@pytest.fixture
def installation(fake_github: FakeGitHub, shop: FakeRepo) -> FakeInstallation:
    return fake_github.apps.install("acme", [shop])


@pytest.fixture
async def repository_id(
    db: asyncpg.Connection, tenant: Tenant, shop: FakeRepo, installation: FakeInstallation
) -> uuid.UUID:
    repo_id = await installations_db.register_repository(
        db, tenant.organization_id, installation.id, github_id=shop.id, full_name="acme/shop"
    )
    await db.execute("UPDATE repositories SET default_branch = 'main' WHERE id = $1", repo_id)
    return repo_id


async def run(deps: Deps, kind: JobKind) -> None:
    worker = build_worker(deps.settings, deps, kind, burst=True, poll_delay=0)
    try:
        await worker.main()
    finally:
        await stop_worker(worker)


async def analyse(
    deps: Deps, tenant: Tenant, repository_id: uuid.UUID, commit: str, **params: object
) -> Job:
    job, _ = await jobs.submit(
        deps.pool,
        deps.redis,
        tenant.organization_id,
        kind="analysis",
        key=jobs.dedup_key("analysis", repository_id, commit),
        trigger="webhook",
        repository_id=repository_id,
        commit_sha=commit,
        params={"branch": "main", **params},
    )
    await run(deps, "analysis")
    async with deps.pool.acquire() as conn:
        done = await jobs_db.get_job(conn, tenant.organization_id, job.id)
    assert done is not None
    return done


async def test_a_push_gets_a_check_run_and_a_regression_fails_it(
    deps: Deps,
    db: asyncpg.Connection,
    tenant: Tenant,
    fake_github: FakeGitHub,
    shop: FakeRepo,
    repository_id: uuid.UUID,
) -> None:
    first = await analyse(deps, tenant, repository_id, shop.branches["main"])
    assert first.status == "succeeded", first.error
    assert first.result is not None
    posted = first.result["check_run"]
    assert isinstance(posted, dict)
    assert (posted["status"], posted["sarif"]) == ("posted", "code scanning not enabled")
    (run,) = shop.check_runs
    assert run["head_sha"] == shop.branches["main"]
    assert run["conclusion"] in ("success", "neutral")
    assert run["output"]["title"].startswith("Health ")
    assert run["app"]["slug"] == fake_github.apps.slug

    # The next push adds a credential; meanwhile GitHub ended the token the worker holds.
    shop.code_scanning = True
    leaked = aws_key(random.Random(7))
    shop.commit({**PROJECT, "src/shop/settings.py": f"DEBUG = False\n\nAWS_KEY = '{leaked}'\n"})
    fake_github.apps.expire_tokens()
    second = await analyse(deps, tenant, repository_id, shop.branches["main"])
    assert second.status == "succeeded", second.error
    assert fake_github.apps.minted == 2
    assert second.result is not None
    assert second.result["regressed"] is True
    run = shop.check_runs[-1]
    assert run["conclusion"] == "failure"
    assert run["output"]["title"].startswith("Regression: ")
    notes = run["annotations"]
    assert [(n["path"], n["start_line"], n["annotation_level"]) for n in notes] == [
        ("src/shop/settings.py", 3, "failure")
    ]
    assert leaked not in str(run)
    (upload,) = shop.sarifs
    assert (upload["ref"], upload["commit_sha"]) == ("refs/heads/main", shop.branches["main"])
    assert upload["sarif"]["version"] == "2.1.0"

    history = await db.fetch(
        "SELECT score, regressed, critical FROM score_history WHERE repository_id = $1 ORDER BY id",
        first.repository_id,
    )
    assert [h["regressed"] for h in history] == [False, True]
    assert history[1]["critical"] == ["secret:aws-access-key-id:src/shop/settings.py"]
    entries = await streams.read_after(
        deps.redis, keys.org_events(str(tenant.organization_id)), "0-0"
    )
    regressed = [e for e in (events.decode(f) for _, f in entries) if e.type == "score.regressed"]
    assert len(regressed) == 1
    assert regressed[0].data["new_critical"] == ["secret:aws-access-key-id:src/shop/settings.py"]
    counted = deps.metrics.score_regressions.labels("critical_finding")._value.get()
    assert counted == 1


async def test_a_pull_request_is_annotated_in_batches_of_fifty(
    deps: Deps, tenant: Tenant, fake_github: FakeGitHub, shop: FakeRepo, repository_id: uuid.UUID
) -> None:
    rng = random.Random(11)
    keys_file = "".join(f"KEY_{n} = '{aws_key(rng)}'\n" for n in range(60))
    head = shop.commit({**PROJECT, "src/shop/keys.py": keys_file}, branch="feature")
    shop.pulls.append(
        {"number": 1, "state": "open", "head": {"ref": "feature"}, "base": {"ref": "main"}}
    )
    shop.code_scanning = True
    done = await analyse(deps, tenant, repository_id, head, branch="feature", pull_request=1)
    assert done.status == "succeeded", done.error
    (run,) = shop.check_runs
    assert len(run["annotations"]) == 60
    assert {n["path"] for n in run["annotations"]} == {"src/shop/keys.py"}
    assert len(fake_github.calls("POST", "/repos/acme/shop/check-runs")) == 1
    assert len(fake_github.calls("PATCH", "/repos/acme/shop/check-runs/")) == 1
    assert shop.sarifs[0]["ref"] == "refs/pull/1/head"


async def test_an_uninstalled_app_fails_the_job_once(
    deps: Deps,
    tenant: Tenant,
    fake_github: FakeGitHub,
    shop: FakeRepo,
    installation: FakeInstallation,
    repository_id: uuid.UUID,
) -> None:
    fake_github.apps.uninstall(installation)
    done = await analyse(deps, tenant, repository_id, shop.branches["main"])
    assert done.status == "failed"
    assert done.error is not None
    assert "not installed" in done.error
    assert shop.check_runs == []


async def test_a_repository_a_person_registered_is_read_by_the_installation_given_it(
    deps: Deps,
    db: asyncpg.Connection,
    tenant: Tenant,
    shop: FakeRepo,
    installation: FakeInstallation,
) -> None:
    person, _ = await repos_db.create_repository(
        db,
        tenant.organization_id,
        provider="github",
        full_name="acme/shop",
        clone_url="https://github.com/acme/shop.git",
        created_by=tenant.user_id,  # who has no GitHub token stored: only the app can read it
    )
    await installations_db.upsert_installation(
        db,
        installation.id,
        account_login="acme",
        account_type="Organization",
        status="active",
        added=["acme/shop"],
    )
    await db.execute(
        "UPDATE github_installations SET organization_id = $1 WHERE installation_id = $2",
        tenant.organization_id,
        installation.id,
    )
    done = await analyse(deps, tenant, person.id, shop.branches["main"])
    assert done.status == "succeeded", done.error
    (run,) = shop.check_runs
    assert run["app"]["slug"] == "autodevops-test"


async def test_the_ci_pull_request_is_opened_by_the_app(
    deps: Deps, tenant: Tenant, fake_github: FakeGitHub, shop: FakeRepo, repository_id: uuid.UUID
) -> None:
    project = {
        **PROJECT,
        "pyproject.toml": (
            '[project]\nname = "shop"\nrequires-python = ">=3.12"\n'
            'dependencies = ["fastapi>=0.110"]\n\n[tool.pytest.ini_options]\n'
            'testpaths = ["tests"]\n'
        ),
        ".python-version": "3.12\n",
        "uv.lock": "version = 1\n",
        "tests/test_app.py": "def test_ok():\n    assert True\n",
    }
    head = shop.commit(project)
    done = await analyse(deps, tenant, repository_id, head, open_pull_request=True)
    assert done.status == "succeeded", done.error
    await run(deps, "ci_generation")
    (pull,) = shop.pulls
    assert pull["base"]["ref"] == "main"
    (opened,) = fake_github.calls("POST", "/repos/acme/shop/pulls")
    assert opened.login == fake_github.apps.bot
    assert opened.authorization is not None
    assert opened.authorization.startswith("token ghs_")
