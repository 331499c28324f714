from __future__ import annotations

from collections.abc import Awaitable, Callable

from stelly_tenancy.models import Tenant

#: The root conftest's ``make_tenant`` fixture.
MakeTenant = Callable[..., Awaitable[Tenant]]
