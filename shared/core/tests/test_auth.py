from __future__ import annotations

import time

import jwt
import pytest
from stelly_core.auth import PasswordHashing, issue_token, verify_token
from stelly_core.errors import ProblemError

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def _token(**overrides: object) -> str:
    args: dict[str, object] = {
        "tenant_id": 1,
        "subject": "7",
        "kind": "staff",
        "ttl_seconds": 600,
        "role": "owner",
    }
    args.update(overrides)
    return issue_token(SECRET, **args)  # type: ignore[arg-type]


def test_a_valid_token_verifies() -> None:
    claims = verify_token(SECRET, _token(), tenant_id=1, kind="staff")
    assert (claims.sub, claims.tid, claims.role) == ("7", 1, "owner")


def test_another_tenants_token_is_forbidden() -> None:
    with pytest.raises(ProblemError) as refused:
        verify_token(SECRET, _token(tenant_id=1), tenant_id=2, kind="staff")
    assert (refused.value.status, refused.value.code) == (403, "token_wrong_tenant")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-jwt",
        _token(kind="order"),  # an order token is no staff token
        _token(ttl_seconds=-1),  # expired
        issue_token(
            "another-secret-entirely-but-long-enough",
            tenant_id=1,
            subject="7",
            kind="staff",
            ttl_seconds=600,
        ),
        jwt.encode(
            {
                "sub": "7",
                "tid": 1,
                "aud": "stelly:staff",
                "iss": "stelly",
                "iat": int(time.time()),
                "exp": int(time.time()) + 60,
            },
            None,
            algorithm="none",
        ),
        jwt.encode(
            {
                "sub": "7",
                "aud": "stelly:staff",
                "iss": "stelly",
                "iat": int(time.time()),
                "exp": int(time.time()) + 60,
                "tid": "1; DROP",
            },
            SECRET,
            algorithm="HS256",
        ),
    ],
    ids=["empty", "garbage", "wrong-kind", "expired", "wrong-secret", "alg-none", "bad-tid"],
)
def test_invalid_tokens_are_unauthenticated(token: str) -> None:
    with pytest.raises(ProblemError) as refused:
        verify_token(SECRET, token, tenant_id=1, kind="staff")
    assert (refused.value.status, refused.value.code) == (401, "invalid_token")


def test_password_hashing() -> None:
    hashing = PasswordHashing()
    stored = hashing.hash("correct horse")
    assert hashing.verify(stored, "correct horse")
    assert not hashing.verify(stored, "wrong horse")
    assert not hashing.verify(None, "correct horse")  # unknown user
    assert not hashing.verify("not-a-hash", "correct horse")
