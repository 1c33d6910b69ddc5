"""Organizations and their members: who may change whom.

Owners manage everyone; admins manage members and admins; anyone may leave. Granting,
changing or removing an owner takes an owner, and the last owner always stays.
Someone who is not a member gets a 404 for the organization, as if it did not exist.
"""

from __future__ import annotations

import re
import uuid

import msgspec

from libs.common.db import Conn
from libs.common.db import members as members_db
from libs.common.db import orgs as orgs_db
from libs.common.db import sessions as sessions_db
from libs.common.db import tokens as tokens_db
from libs.common.db.members import Member
from libs.common.db.orgs import Organization
from libs.common.schemas import Principal, Role
from services.api.http.errors import Conflict, Forbidden, NotFound, ValidationFailed

RANK: dict[str, int] = {"member": 0, "admin": 1, "owner": 2}
# `(?!\n)`: Python's `$` also matches before a final newline, JSON Schema's does not.
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$(?!\n)"
SLUG = re.compile(SLUG_PATTERN)


class LastOwner(Conflict):
    slug = "last-owner"
    title = "An organization keeps at least one owner"


class PersonalOwner(Conflict):
    slug = "personal-owner"
    title = "A personal organization keeps its person as an owner"


async def visible(conn: Conn, who: Principal, org_id: uuid.UUID) -> Organization:
    org = await orgs_db.organization_for(conn, org_id, who.user_id)
    if org is None:
        raise NotFound("No such organization.")
    return org


def _check_may_manage(actor: Role, target_before: Role | None, target_after: Role | None) -> None:
    if RANK[actor] < RANK["admin"]:
        raise Forbidden("Only owners and admins manage members.")
    if "owner" in (target_before, target_after) and actor != "owner":
        raise Forbidden("Only owners grant, change or remove the owner role.")


async def create(
    conn: Conn, who: Principal, slug: str, name: str, *, reserved: str
) -> Organization:
    if not SLUG.match(slug):
        raise ValidationFailed(
            "slug: lowercase letters, digits and inner hyphens, 1-40 characters",
            errors=[{"field": "slug", "message": "invalid slug"}],
        )
    # The operators' organization (ADMIN_ORGANIZATION) grants the admin routes; only
    # `autodevops token create` makes it, whether or not it exists yet.
    org = (
        None
        if slug == reserved
        else await orgs_db.create_organization(conn, slug, name, who.user_id)
    )
    if org is None:
        raise Conflict(f"The slug '{slug}' is taken.")
    return org


async def add_member(
    conn: Conn, who: Principal, org_id: uuid.UUID, login: str, role: Role
) -> Member:
    org = await visible(conn, who, org_id)
    _check_may_manage(org.role, None, role)
    user_id = await members_db.user_id_by_login(conn, login)
    if user_id is None:
        raise NotFound(
            f"login: nobody called '{login}' has signed in here yet",
            errors=[{"field": "login", "message": "unknown user"}],
        )
    added = await members_db.add(conn, org_id, user_id, role)
    if added is None:
        raise Conflict(f"'{login}' is already a member.")
    return added


async def _locked_target(
    conn: Conn, who: Principal, org_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Organization, list[uuid.UUID], Member]:
    """The caller's view of the org, its owners (locked) and the member to change."""
    org = await visible(conn, who, org_id)
    owners = await members_db.lock_owners(conn, org_id)
    target = await members_db.get_member(conn, org_id, user_id)
    if target is None:
        raise NotFound("No such member.")
    return org, owners, target


async def _keep_personal_owner(conn: Conn, org: Organization, user_id: uuid.UUID) -> None:
    # Signing in always lands in one's personal organization, as its owner.
    if org.personal and await orgs_db.personal_owner(conn, org.id) == user_id:
        raise PersonalOwner("This is their personal organization; they stay its owner.")


async def change_role(
    conn: Conn, who: Principal, org_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> Member:
    async with conn.transaction():
        org, owners, target = await _locked_target(conn, who, org_id, user_id)
        _check_may_manage(org.role, target.role, role)
        if target.role == "owner" and role != "owner" and owners == [user_id]:
            raise LastOwner("Make someone else an owner first.")
        if role != "owner":
            await _keep_personal_owner(conn, org, user_id)
        await members_db.set_role(conn, org_id, user_id, role)
    return msgspec.structs.replace(target, role=role)


async def remove_member(conn: Conn, who: Principal, org_id: uuid.UUID, user_id: uuid.UUID) -> None:
    async with conn.transaction():
        org, owners, target = await _locked_target(conn, who, org_id, user_id)
        if user_id != who.user_id:
            _check_may_manage(org.role, target.role, None)
        if owners == [user_id]:
            raise LastOwner("Make someone else an owner first, or keep the organization.")
        await _keep_personal_owner(conn, org, user_id)
        await members_db.remove(conn, org_id, user_id)
        # Credentials issued for this organization end with the membership, and stay
        # ended if the member is added back later.
        await tokens_db.revoke_all(conn, org_id, user_id)
        await sessions_db.revoke_all(conn, org_id, user_id)
