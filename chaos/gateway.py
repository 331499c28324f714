"""HTTP through the gateway, as the web app sends it: one session, every exchange recorded.

Invariants:

- every request goes to the gateway's port with the tenant's ``Host``
  header; nothing talks to a service directly;
- every exchange is recorded exactly once (its kind, start and outcome),
  whatever became of it: a network error or timeout is the outcome
  ``connection`` (status ``None``), never an exception;
- no retries here: whoever calls decides, as the web app does;
- the session is made on first use (the crowd's process never sends HTTP).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp

from chaos.metrics import classify

if TYPE_CHECKING:
    from chaos.metrics import Recorder

__all__ = ["Gateway", "Target"]


@dataclass(frozen=True)
class Target:
    """Where the load goes: the gateway, the tenant's host, the staff token, the menu."""

    port: int
    slug: str
    staff_token: str
    orderable: list[int]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"{self.slug}.localhost:{self.port}"


class Gateway:
    """The HTTP client of every actor: one session, one recorded exchange at a time."""

    def __init__(self, target: Target, rec: Recorder) -> None:
        self.target = target
        self.rec = rec
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=30),
            )
        return self._session

    def headers(
        self, extra: dict[str, str] | None = None, *, staff: bool = False
    ) -> dict[str, str]:
        headers = {"host": self.target.host, "accept": "application/json"}
        if staff:
            headers["authorization"] = f"Bearer {self.target.staff_token}"
        return headers | (extra or {})

    async def exchange(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        expected: frozenset[int],
        staff: bool = False,
        headers: dict[str, str] | None = None,
        json_body: Any = None,
        data: Any = None,
    ) -> tuple[str, int | None, Any]:
        """One HTTP exchange through the gateway, recorded. Returns (outcome, status, JSON)."""
        started = self.rec.now()
        status: int | None = None
        retry_after = False
        body: Any = None
        try:
            async with self.session.request(
                method,
                self.target.base + path,
                headers=self.headers(headers, staff=staff),
                json=json_body,
                data=data,
            ) as response:
                status, retry_after = response.status, "retry-after" in response.headers
                raw = await response.read()
                with contextlib.suppress(ValueError):
                    body = json.loads(raw) if raw else None
        except (TimeoutError, aiohttp.ClientError, OSError):
            status = None
        outcome = classify(status, retry_after, expected=expected)
        self.rec.attempt(kind, started, outcome)
        return outcome, status, body

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
