"""The platform service against its own OpenAPI document (schemathesis, every check).

Every operation of ``/schema/openapi.json`` is fuzzed in-process (ASGI) with
schema-valid and schema-violating requests on the console host, as a platform
admin, and every response is held to the document: no 5xx, only documented
status codes and content types, bodies that match their schemas. DNS is the
fake of :mod:`.conftest` (no test may use the Internet's DNS). Seeded, so a run
is repeatable. The document is taken from an app built at import, as in the
menu service's contract test (``services/menu/tests/test_contract.py``).
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
from stelly_platform.app import create_app
from stelly_tenancy.platform_admins import create_platform_admin
from stelly_tenancy.provisioning import NewTenant, create_tenant

from .conftest import FakeDns

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from litestar import Litestar
    from stelly_core.auth import PasswordHashing
    from stelly_core.db import Database
    from stelly_core.settings import Settings

SEED = 17017
MAX_EXAMPLES = 30
ADMIN_PASSWORD = "contract-admin-password"
TOKEN_STAND_IN = "contract-admin-token"
#: well-formed requests refused for what the registry holds (a taken slug, a domain
#: of Stelly's or another tenant's): 404, 409, 422 (SPEC §10)
POSITIVE_STATUSES = ["2xx", "401", "404", "409", "422", "429"]

_DOCUMENT_APP = create_app(
    load_settings(
        {
            "STELLY_ENV": "test",
            "STELLY_DATABASE_URL": "postgresql://contract@localhost/unused",
            "STELLY_REDIS_URL": "redis://localhost/0",
            "KZ_SECRET_KEY": "contract-document-only-secret-0123456789abcdef",
        }
    ),
    environ={},
)
DOCUMENT: dict[str, Any] = json.loads(encode_json(_DOCUMENT_APP.openapi_schema.to_schema()))


class AppUnderTest:
    """The ASGI app of the run; swaps the stand-in token for the admin's real one."""

    def __init__(self) -> None:
        self.app: Litestar | None = None
        self.token: str | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "the target fixture builds the app"
        if scope["type"] == "http" and self.token is not None:
            stand_in = f"Bearer {TOKEN_STAND_IN}".encode()
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
        }
    ),
)
schema.app = APP


@schema.auth()
class AdminToken:
    """The admin's token on every request schemathesis means to authenticate."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return TOKEN_STAND_IN

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@dataclass(frozen=True)
class Target:
    client: asgi.ASGIClient
    headers: dict[str, str]


@pytest.fixture(scope="module")
async def target(
    settings: Settings, db: Database, hasher: PasswordHashing
) -> AsyncIterator[Target]:
    """The platform app as a fresh admin, with one tenant to act on."""
    email = f"contract-{secrets.token_hex(4)}@stelly.example"
    await create_platform_admin(db, email, ADMIN_PASSWORD, hasher)
    await create_tenant(
        db, NewTenant(slug="c" + secrets.token_hex(4), name="Contract"), hasher=hasher
    )
    APP.app = create_app(settings, environ={}, dns=FakeDns(), hasher=hasher)
    headers = {"Host": "console.localhost"}
    with asgi.get_client(APP) as client:
        response = client.post(
            "/api/v1/platform/auth/token",
            json={"email": email, "password": ADMIN_PASSWORD},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        APP.token = response.json()["access_token"]
        yield Target(client, headers)
    asgi.shutdown_lifespans()


def test_generated_requests_act_as_the_admin(target: Target) -> None:
    response = target.client.get(
        "/api/v1/platform/tenants?limit=1",
        headers={**target.headers, "Authorization": f"Bearer {TOKEN_STAND_IN}"},
    )
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) == 1


def test_served_document_is_the_one_fuzzed(target: Target) -> None:
    response = target.client.get("/schema/openapi.json", headers=target.headers)
    assert response.status_code == 200
    assert response.json() == DOCUMENT


@schema.parametrize()
@hypothesis.seed(SEED)
@hypothesis.settings(
    deadline=None, database=None, suppress_health_check=list(hypothesis.HealthCheck)
)
def test_platform_api_conforms(case: schemathesis.Case, target: Target) -> None:
    """Each response is one the document promises, for valid and invalid requests alike."""
    case.call_and_validate(headers=target.headers)
