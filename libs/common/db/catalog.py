"""Whole-database questions for operations: version, tables, counts, checksums, snapshots.

Not tenant data: these read the catalog or every row of every table, on purpose.
"""

from __future__ import annotations

from libs.common.db import Conn

_SYSTEM_SCHEMAS = """n.nspname NOT IN ('pg_catalog', 'information_schema')
                     AND n.nspname NOT LIKE 'pg\\_toast%'
                     AND n.nspname NOT LIKE 'pg\\_temp\\_%'"""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def server_major(conn: Conn) -> int:
    """The server's major version (15, 17, 18, ...)."""
    return int(await conn.fetchval("SHOW server_version_num")) // 10_000


async def server_version(conn: Conn) -> str:
    return str(await conn.fetchval("SHOW server_version"))


async def database_name(conn: Conn) -> str:
    return str(await conn.fetchval("SELECT current_database()"))


async def user_tables(conn: Conn) -> list[str]:
    """Every ordinary table outside the system schemas, as `schema.table`, sorted."""
    rows = await conn.fetch(
        f"""
        SELECT n.nspname, c.relname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND {_SYSTEM_SCHEMAS}
         ORDER BY 1, 2
        """
    )
    return [f"{r['nspname']}.{r['relname']}" for r in rows]


def _qualified(table: str) -> str:
    schema, _, name = table.partition(".")
    return f"{quote_ident(schema)}.{quote_ident(name)}"


async def row_counts(conn: Conn) -> dict[str, int]:
    """Exact row count of every user table (full scans: run it where that is acceptable)."""
    counts: dict[str, int] = {}
    for table in await user_tables(conn):
        counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {_qualified(table)}"))
    return counts


async def table_checksums(conn: Conn) -> dict[str, str]:
    """An md5 over every row's text of every user table, independent of physical order."""
    sums: dict[str, str] = {}
    for table in await user_tables(conn):
        sums[table] = str(
            await conn.fetchval(
                f"""
                SELECT md5(coalesce(string_agg(h, '' ORDER BY h), ''))
                  FROM (SELECT md5(t::text) AS h FROM {_qualified(table)} t) rows
                """
            )
        )
    return sums


async def export_snapshot(conn: Conn) -> str:
    """Export the snapshot of the caller's open REPEATABLE READ transaction for pg_dump."""
    return str(await conn.fetchval("SELECT pg_export_snapshot()"))


async def create_database(conn: Conn, name: str) -> None:
    await conn.execute(f"CREATE DATABASE {quote_ident(name)} TEMPLATE template0")


async def drop_database(conn: Conn, name: str) -> None:
    await conn.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")


async def set_role_verifier(conn: Conn, role: str, verifier: str) -> None:
    """Store a precomputed SCRAM verifier as `role`'s password."""
    if not verifier.startswith("SCRAM-SHA-256$") or "'" in verifier:
        raise ValueError("not a SCRAM-SHA-256 verifier")
    # ALTER ROLE takes no bind parameters; the verifier is base64, digits, `$` and `:`.
    await conn.execute(f"ALTER ROLE {quote_ident(role)} PASSWORD '{verifier}'")
