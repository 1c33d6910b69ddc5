"""Rehearsals of generated CI, uploaded from a user's machine: the platform stores and
shows them; it never runs one (a rehearsal executes the repository's code)."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from aiohttp import web

from libs.common.db import analyses as analyses_db
from libs.common.db import rehearsals as rehearsals_db
from libs.common.rehearsal import Rehearsal, workflow_digest
from services.api import registration
from services.api.http import keys
from services.api.http.body import decode, json_response, path_uuid
from services.api.http.errors import Conflict, NotFound, ValidationFailed
from services.api.http.spec import operation
from services.api.views import RehearsalView

routes = web.RouteTableDef()

Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
CommitSha = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{40}$")]


class RehearsalUpload(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """`autodevops ci rehearse PATH --upload --repo ID` sends this."""

    ci_config_id: uuid.UUID  # the generated configuration that was rehearsed
    workflow_sha256: Sha256  # of the exact workflow text rehearsed
    commit: CommitSha | None = None  # the checkout's commit (none outside a git work tree)
    report: Rehearsal  # `autodevops ci rehearse --format json`


class StaleWorkflow(Conflict):
    slug = "rehearsed-workflow-differs"
    title = "The rehearsed workflow is not the configuration's current text"


@routes.post("/v1/repos/{id}/ci/rehearsals")
@operation(
    "Store a rehearsal of a generated CI configuration",
    tags=("analyses",),
    description=(
        "The JSON report of `autodevops ci rehearse` (run on your machine: it executes the "
        "repository's code, so the platform never runs it), for one CI configuration "
        "generated for this repository; `workflow_sha256` is the SHA-256 of the workflow "
        "text rehearsed, which must be the configuration's current text. The CI page "
        "shows the newest rehearsal of the workflow it displays."
    ),
    body=RehearsalUpload,
    responses={201: RehearsalView},
    errors=(NotFound, ValidationFailed, StaleWorkflow),
)
async def upload_rehearsal(request: web.Request) -> web.Response:
    who = keys.principal(request)
    pool = request.app[keys.POOL]
    # Tenancy first: another organization's repository is a 404 whatever the body says.
    repo = await registration.get(pool, who, path_uuid(request))
    body = await decode(request, RehearsalUpload)
    async with pool.acquire() as conn:
        config = await analyses_db.ci_config_of_repository(
            conn, who.organization_id, repo.id, body.ci_config_id
        )
        if config is None:
            raise NotFound("No such CI configuration for this repository.")
        if workflow_digest(config.content) != body.workflow_sha256:
            raise StaleWorkflow(
                "The workflow rehearsed is not this configuration's current text (CI was "
                "generated again since?). Rehearse again: `autodevops ci rehearse PATH "
                f"--upload --repo {repo.id}` fetches the current one."
            )
        row = await rehearsals_db.store(
            conn,
            who.organization_id,
            repository_id=repo.id,
            ci_config_id=config.id,
            workflow_sha256=body.workflow_sha256,
            commit_sha=body.commit,
            report=body.report,
            uploaded_by=who.user_id,
        )
    return json_response(RehearsalView.of(row), status=201)
