"""The menu service against its own OpenAPI document (schemathesis, every check).

Every operation of ``/schema/openapi.json`` is fuzzed in-process (ASGI) with
schema-valid and schema-violating requests, on a tenant of its own with an
owner's token, and every response is held to the document: no 5xx, only
documented status codes and content types, bodies that match their schemas,
valid data accepted and invalid data refused. Seeded, so a run is repeatable.

The document is taken from an app built at import (``@schema.parametrize``
needs it before fixtures exist; schemathesis' fixture-based loader does not
run under pytest 9), and :func:`test_served_document_is_the_one_fuzzed` holds
the served ``/schema/openapi.json`` to it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import hypothesis
import pytest
import schemathesis
from litestar.serialization import encode_json
from schemathesis.python import asgi
from stelly_core.settings import load_settings
from stelly_menu.app import create_app
from stelly_tenancy.provisioning import NewTenant, create_tenant

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from stelly_core.auth import PasswordHashing
    from stelly_core.db import Database
    from stelly_core.settings import Settings

#: the seed of every run, so that a failure found once is found again
SEED = 13013
#: examples per operation in the fuzzing phase (positive and negative together)
MAX_EXAMPLES = 40
OWNER_PASSWORD = "contract-owner-password"
#: what generated requests carry in place of the owner's token (see :class:`OwnerToken`)
OWNER_TOKEN_STAND_IN = "contract-owner-token"
#: well-formed requests a store refuses for what it holds rather than for their
#: shape (an item that is not on the menu, a closed store): 422 (SPEC §3)
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

_DOCUMENT_APP = create_app(
    load_settings(
        {
            "STELLY_ENV": "test",
            "STELLY_DATABASE_URL": "postgresql://contract@localhost/unused",
            "STELLY_REDIS_URL": "redis://localhost/0",
            "KZ_SECRET_KEY": "contract-document-only-secret-0123456789abcdef",
        }
    ),
    relay=False,
)
DOCUMENT: dict[str, Any] = json.loads(encode_json(_DOCUMENT_APP.openapi_schema.to_schema()))


class AppUnderTest:
    """The ASGI app every request of the run goes to, the checks' own probes included.

    The schema needs an app when it is loaded, at import; the real one is
    built by the :func:`target` fixture (it needs the session's database) and
    put here. Schemathesis runs its lifespan once, on its own event loop.
    """

    def __init__(self) -> None:
        self.app: Litestar | None = None
        self.token: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "the target fixture builds the app"
        if scope["type"] == "http" and self.token is not None:
            stand_in = f"Bearer {OWNER_TOKEN_STAND_IN}".encode()
            real = f"Bearer {self.token}".encode()
            scope = {
                **scope,
                "headers": [
                    (name, real if name == b"authorization" and value == stand_in else value)
                    for name, value in scope["headers"]
                ],
            }
        await self.app(scope, receive, send)


APP = AppUnderTest()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
            "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
            "operations": [
                {
                    # a well-formed link token the server never issued (as every
                    # generated one is) is 400 invalid_token, one answer for every bad link
                    "include-path": "/api/v1/auth/accept",
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_STATUSES, "400"]
                        }
                    },
                }
            ],
        }
    ),
)
schema.app = APP


@schema.auth()
class OwnerToken:
    """The owner's bearer token on every request schemathesis means to authenticate.

    Cases are built at collection, before the owner exists, so they carry a
    stand-in that :class:`AppUnderTest` swaps for the real token on the way in.
    """

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return OWNER_TOKEN_STAND_IN

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@dataclass(frozen=True)
class Target:
    """The client of the app under test and what every call to it sends."""

    client: asgi.ASGIClient
    headers: dict[str, str]


@pytest.fixture(scope="module")
async def target(
    settings: Settings, db: Database, hasher: PasswordHashing
) -> AsyncIterator[Target]:
    """The menu app on a fresh tenant of its own, called as that tenant's owner."""
    slug = "contract" + secrets.token_hex(4)
    email = f"owner@{slug}.example"
    await create_tenant(
        db,
        NewTenant(slug=slug, name="Contract", owner_email=email, owner_password=OWNER_PASSWORD),
        hasher=hasher,
    )
    host = f"{slug}.localhost"
    APP.app = create_app(settings, relay=False)
    with asgi.get_client(APP) as client:
        response = client.post(
            "/api/v1/auth/token",
            json={"email": email, "password": OWNER_PASSWORD},
            headers={"host": host},
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        APP.token = token
        yield Target(client, {"Host": host})
    asgi.shutdown_lifespans()


def test_generated_requests_act_as_the_owner(target: Target) -> None:
    """The stand-in token reaches the staff routes as the owner (else every case is a 401)."""
    response = target.client.get(
        "/api/v1/admin/users",
        headers={**target.headers, "Authorization": f"Bearer {OWNER_TOKEN_STAND_IN}"},
    )
    assert response.status_code == 200, response.text
    assert [user["role"] for user in response.json()] == ["owner"]


def test_served_document_is_the_one_fuzzed(target: Target) -> None:
    response = target.client.get("/schema/openapi.json", headers={"host": target.headers["Host"]})
    assert response.status_code == 200
    assert response.json() == DOCUMENT


@schema.parametrize()
@hypothesis.seed(SEED)
@hypothesis.settings(
    deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_menu_api_conforms(case: schemathesis.Case, target: Target) -> None:
    """Each response is one the document promises, for valid and invalid requests alike."""
    case.call_and_validate(headers=target.headers)
