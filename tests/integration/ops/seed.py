"""Rows in every table that matters, for backup and cleanup tests."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import asyncpg

from libs.common.db import catalog
from libs.common.db.pool import connect
from tests.conftest import Tenant


async def add_repository(
    db: asyncpg.Connection, tenant: Tenant, name: str, *, secret: bytes | None = None
) -> uuid.UUID:
    repo_id: uuid.UUID = await db.fetchval(
        """
        INSERT INTO repositories (organization_id, provider, full_name, clone_url,
                                  default_branch, webhook_secret, webhook_key_id, topics)
        VALUES ($1, 'github', $2, $3, 'main', $4, $5, '{ops,"naïve ✓"}') RETURNING id
        """,
        tenant.organization_id,
        name,
        f"https://github.com/{name}.git",
        secret,
        "k" if secret else None,
    )
    return repo_id


async def add_job(
    db: asyncpg.Connection,
    tenant: Tenant,
    repo_id: uuid.UUID | None,
    *,
    status: str = "succeeded",
    finished_ago: dt.timedelta = dt.timedelta(0),
) -> uuid.UUID:
    finished = status in ("succeeded", "failed")
    job_id: uuid.UUID = await db.fetchval(
        """
        INSERT INTO jobs (organization_id, repository_id, kind, status, trigger, dedup_key,
                          params, finished_at)
        VALUES ($1, $2, 'analysis', $3, 'api', $4, $5,
                CASE WHEN $6 THEN now() - $7::interval END) RETURNING id
        """,
        tenant.organization_id,
        repo_id,
        status,
        f"analysis:{uuid.uuid4()}",
        {"note": "ümlaut", "n": 1},
        finished,
        finished_ago,
    )
    return job_id


async def add_analysis(
    db: asyncpg.Connection,
    tenant: Tenant,
    repo_id: uuid.UUID,
    *,
    branch: str | None = "main",
    created_ago: dt.timedelta = dt.timedelta(0),
) -> uuid.UUID:
    analysis_id: uuid.UUID = await db.fetchval(
        """
        INSERT INTO analyses (organization_id, repository_id, commit_sha, branch,
                              content_digest, report_version, report, health_score, created_at)
        VALUES ($1, $2, $3, $4, $5, 1, $6, 70, now() - $7::interval) RETURNING id
        """,
        tenant.organization_id,
        repo_id,
        os.urandom(20).hex(),
        branch,
        os.urandom(32).hex(),
        {"score": 70, "padding": os.urandom(256).hex()},
        created_ago,
    )
    return analysis_id


async def seed_everything(db: asyncpg.Connection, tenant: Tenant, *, analyses: int = 40) -> None:
    repo_ids = [
        await add_repository(db, tenant, f"acme/r{i}", secret=os.urandom(48)) for i in range(3)
    ]
    for i in range(analyses):
        repo = repo_ids[i % 3]
        job = await add_job(db, tenant, repo)
        await add_analysis(db, tenant, repo, branch=f"b{i % 4}")
        await db.execute(
            """
            INSERT INTO ai_usage (organization_id, user_id, job_id, model, prompt_tokens,
                                  output_tokens, thinking_tokens, tokens_used)
            VALUES ($1, $2, $3, 'gemini-2.5-flash', 100, 50, 25, 175)
            """,
            tenant.organization_id,
            tenant.user_id,
            job,
        )
        await db.execute(
            """
            INSERT INTO webhook_deliveries (hook_id, delivery_id, event, organization_id)
            VALUES (1, $1, 'push', $2)
            """,
            str(uuid.uuid4()),
            tenant.organization_id,
        )
    await db.execute(
        "INSERT INTO github_credentials (user_id, ciphertext, key_id) VALUES ($1, $2, 'k')",
        tenant.user_id,
        os.urandom(64),
    )


async def snapshot_of(url: str) -> tuple[dict[str, int], dict[str, str]]:
    conn = await connect(url)
    try:
        return await catalog.row_counts(conn), await catalog.table_checksums(conn)
    finally:
        await conn.close()
