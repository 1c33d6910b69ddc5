"""Fixtures the operations tests share."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import asyncpg
import pytest

from libs.common.db import catalog
from tests.conftest import Servers, _drop_database, with_database


@pytest.fixture
async def empty_database(servers: Servers) -> AsyncIterator[str]:
    name = f"ado_restore_{os.urandom(6).hex()}"
    admin = await asyncpg.connect(servers.pg_admin_url)
    try:
        await catalog.create_database(admin, name)
    finally:
        await admin.close()
    yield with_database(servers.pg_admin_url, name)
    await _drop_database(servers.pg_admin_url, name)
