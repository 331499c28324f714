"""Tenant-scoped PostgreSQL access over one asyncpg pool per process.

Every unit of work is one transaction. A tenant's unit of work selects that
tenant's schema transaction-locally (``set_config('search_path', ..., true)``),
so a pooled connection never carries one tenant's schema into another's
request, and the same code works behind PgBouncer in transaction mode (run
then with ``STELLY_DATABASE_STATEMENT_CACHE=false``).
"""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg

from stelly_core.settings import DatabaseAuth

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

    from stelly_core.settings import Settings

__all__ = ["CONNECT_TIMEOUT", "Database", "DbConnection", "quote_schema", "validate_schema_name"]

#: A pooled connection as units of work hand it out.
DbConnection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[asyncpg.Record]"

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_FORBIDDEN_SCHEMAS = frozenset({"public", "information_schema"})
ENTRA_SCOPE = "https://ossrdbms-aad.database.windows.net/.default"
#: seconds a new connection may take to open (asyncpg's default is 60): an
#: unreachable server answers 503 within this, not after a minute
CONNECT_TIMEOUT = 5.0


def validate_schema_name(name: str) -> str:
    """Check that ``name`` can be a tenant schema.

    Args:
        name: the proposed schema name.

    Returns:
        The name, unchanged.

    Raises:
        ValueError: if it is not a lower-case identifier, is reserved by
            PostgreSQL (``pg_*``) or is a platform schema.
    """
    if not SCHEMA_NAME.fullmatch(name) or name.startswith("pg_") or name in _FORBIDDEN_SCHEMAS:
        raise ValueError(f"invalid schema name: {name!r}")
    return name


def quote_schema(name: str) -> str:
    """Quote a validated schema name as an SQL identifier.

    Args:
        name: a schema name.

    Returns:
        The double-quoted identifier.
    """
    return '"' + validate_schema_name(name).replace('"', '""') + '"'


def _entra_password() -> Callable[[], Awaitable[str]]:
    """A password callable fetching a fresh Entra token for each new connection."""
    from azure.identity.aio import DefaultAzureCredential

    credential = DefaultAzureCredential()

    async def token() -> str:
        return (await credential.get_token(ENTRA_SCOPE)).token

    return token


class Database:
    """The process's connection pool and its units of work."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        dedicated: Callable[[], Awaitable[asyncpg.Connection]] | None = None,
    ) -> None:
        self.pool = pool
        self._dedicated = dedicated

    @classmethod
    async def connect(
        cls, url: str, settings: Settings, *, min_size: int = 1, max_size: int | None = None
    ) -> Database:
        """Open the pool.

        Args:
            url: the PostgreSQL URL.
            settings: the process settings (auth mode, pool size, statement cache).
            min_size: connections opened up front.
            max_size: the pool's ceiling; the settings' pool size when omitted.

        Returns:
            A connected database.
        """
        kwargs: dict[str, Any] = {}
        if settings.database_auth is DatabaseAuth.ENTRA:
            kwargs["password"] = _entra_password()
        if not settings.database_statement_cache:
            kwargs["statement_cache_size"] = 0
        ceiling = max_size or settings.database_pool_size
        kwargs["server_settings"] = {"application_name": "stelly"}
        kwargs["timeout"] = CONNECT_TIMEOUT
        pool = await asyncpg.create_pool(
            url, min_size=min(min_size, ceiling), max_size=ceiling, **kwargs
        )

        async def dedicated() -> asyncpg.Connection:
            return await asyncpg.connect(url, **kwargs)

        return cls(pool, dedicated=dedicated)

    async def dedicated(self) -> asyncpg.Connection:
        """A connection of its own, outside the pool (for ``LISTEN``); the caller closes it.

        Raises:
            RuntimeError: when this database was built from a bare pool.
        """
        if self._dedicated is None:
            raise RuntimeError("no connection settings to open a dedicated connection with")
        return await self._dedicated()

    async def close(self) -> None:
        """Close every connection of the pool."""
        await self.pool.close()

    @asynccontextmanager
    async def platform(self) -> AsyncIterator[DbConnection]:
        """A transaction on the platform schema (``public``)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('search_path', 'public', true)")
            yield conn

    @asynccontextmanager
    async def tenant(self, schema: str) -> AsyncIterator[DbConnection]:
        """A transaction with ``schema`` selected for its duration only.

        Args:
            schema: the tenant's schema name, as stored in the registry.

        Yields:
            The connection, inside the transaction.
        """
        quoted = quote_schema(schema)
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('search_path', $1, true)", quoted)
            yield conn

    async def ping(self) -> None:
        """Raise unless the database answers."""
        async with self.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
