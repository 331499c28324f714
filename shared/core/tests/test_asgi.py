"""Header reading from a raw scope, as the tenancy middleware and the gateway do it."""

from __future__ import annotations

from stelly_core.asgi import first_headers


def test_first_headers_takes_the_first_of_each_in_the_order_asked() -> None:
    scope = {
        "headers": [
            (b"host", b"pizza.stelly.com"),
            (b"x-tenant-host", b"burger.stelly.com"),
            (b"host", b"burger.stelly.com"),  # a second Host never overrides the first
            (b"if-none-match", b'"\xe9"'),  # non-ASCII bytes read as latin-1, never an error
        ]
    }
    assert first_headers(scope, b"x-tenant-host", b"host", b"x-azure-fdid") == [
        "burger.stelly.com",
        "pizza.stelly.com",
        None,
    ]
    assert first_headers(scope, b"if-none-match") == ['"\u00e9"']
    assert first_headers({"headers": []}, b"host") == [None]
