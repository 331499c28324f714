from __future__ import annotations

import pytest
from stelly_core.cachekeys import platform_key, tenant_key


def test_tenant_keys_are_prefixed_by_tenant_id() -> None:
    assert tenant_key(42, "menu", "v1") == "t:42:menu:v1"
    assert tenant_key(1, "menu") != tenant_key(2, "menu")
    assert platform_key("tenants", "changed") == "p:tenants:changed"


@pytest.mark.parametrize("parts", [(), ("a:b",), ("",), ("menu", "x y"), ("../x",), ("a*",)])
def test_ambiguous_parts_are_refused(parts: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="cache key"):
        tenant_key(1, *parts)


@pytest.mark.parametrize("tenant_id", [0, -1, True, "1"])
def test_invalid_tenant_ids_are_refused(tenant_id: object) -> None:
    with pytest.raises(ValueError, match="tenant id"):
        tenant_key(tenant_id, "menu")  # type: ignore[arg-type]
