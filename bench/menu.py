"""Menu service benchmarks (issue 3), each figure beside a baseline from the same run.

Real uvicorn processes with the same settings (uvloop, httptools, one
worker, no access log):

- the menu service with the demo pizza menu, through the whole middleware
  stack (tenant resolution, Redis cache, ETag);
- a bare Litestar app returning the same bytes and headers from memory, with
  a plain handler returning a ``Response`` (the issue's baseline) and, on a
  second route, the way the menu route answers (headers built once, the
  handler returns an ASGI callable). The menu route beats the first because
  it skips the ``Response`` machinery; the second isolates what tenancy and
  the Redis read cost. Both apps get the same garbage-collector settings
  (:func:`stelly_core.heap.settle_heap`).

A load generator in a separate process (asyncio, keep-alive connections)
drives each for a few seconds at 50 concurrent connections: cached menu
``GET`` (200), the ``If-None-Match`` path (304), and order ``POST`` with a
fresh ``Idempotency-Key`` each. Runs against ``STELLY_DATABASE_URL`` /
``STELLY_REDIS_URL`` when set (in a fresh database it drops afterwards), else
embedded PostgreSQL and Valkey in a temporary directory.

``python -m bench.menu [--seconds S]``; ``--tenants`` is accepted and unused.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from litestar import Litestar, Request, Response, get
from litestar.types import ASGIApp
from stelly_core.heap import settle_heap
from stelly_menu.domain.menu.cache import CachedMenu

HOST = "pizza.localhost"
MENU_PATH = "/api/v1/store/menu"
PREBUILT_PATH = "/prebuilt/menu"
ORDERS_PATH = "/api/v1/store/orders"
UVICORN_FLAGS = [
    "--host",
    "127.0.0.1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
    "--workers",
    "1",
    "--factory",
]
BODY_FILE_ENV = "BENCH_MENU_BODY_FILE"
REPO = Path(__file__).resolve().parents[1]


# -- the baseline app ---------------------------------------------------------------


def bare_app() -> Litestar:
    """A bare Litestar app serving the menu bytes saved by the bench (uvicorn factory)."""
    saved = json.loads(Path(os.environ[BODY_FILE_ENV]).read_text())
    body = saved["body"].encode()
    etag = saved["etag"]
    headers = {"ETag": etag, "Cache-Control": saved["cache_control"]}

    @get(MENU_PATH)
    async def menu(request: Request[Any, Any, Any]) -> Response[bytes]:
        if request.headers.get("if-none-match") == etag:
            return Response(b"", status_code=304, headers=headers)
        return Response(body, media_type="application/json", headers=headers)

    cached = CachedMenu(0, etag, body)

    @get(PREBUILT_PATH)
    async def prebuilt(request: Request[Any, Any, Any]) -> ASGIApp:
        # the menu route's own way of answering (headers built once, no
        # Response object), without tenancy and Redis: the stricter baseline
        return cached.response(not_modified=request.headers.get("if-none-match") == etag)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    # the same collector settings as the services, so the ratio measures the
    # middleware and the cache rather than garbage collection
    return Litestar([menu, prebuilt, healthz], on_startup=[settle_heap])


# -- the load generator (its own process) ---------------------------------------------


def _request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _connection(
    port: int,
    make: Callable[[], bytes],
    warmup_end: float,
    end: float,
    latencies: list[float],
    statuses: Counter[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            started = time.perf_counter()
            if started >= end:
                return
            writer.write(make())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            at = lower.find(b"content-length:")
            if at >= 0:
                length = int(lower[at + 15 : lower.index(b"\r\n", at)])
                if length:
                    await reader.readexactly(length)
            elif b"transfer-encoding: chunked" in lower:
                raise RuntimeError("chunked responses are not expected here")
            if started >= warmup_end:
                latencies.append(time.perf_counter() - started)
                statuses[status] += 1
    finally:
        writer.close()


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    if args.mode == "get":
        fixed = _request("GET", MENU_PATH, {})
        make: Callable[[], bytes] = lambda: fixed  # noqa: E731
    elif args.mode == "getprebuilt":
        fixed = _request("GET", PREBUILT_PATH, {})
        make = lambda: fixed  # noqa: E731
    elif args.mode == "get304":
        fixed = _request("GET", MENU_PATH, {"If-None-Match": args.etag})
        make = lambda: fixed  # noqa: E731
    else:
        body = args.body.encode()
        prefix = f"POST {ORDERS_PATH} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\nIdempotency-Key: ".encode()
        make = lambda: prefix + secrets.token_hex(12).encode() + b"\r\n\r\n" + body  # noqa: E731
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    now = time.perf_counter()
    warmup_end, end = now + args.warmup, now + args.warmup + args.seconds
    await asyncio.gather(
        *(
            _connection(args.port, make, warmup_end, end, latencies, statuses)
            for _ in range(args.conns)
        )
    )
    latencies.sort()
    return {
        "rps": len(latencies) / args.seconds,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
        "statuses": {str(k): v for k, v in statuses.items()},
    }


def loadgen_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.menu loadgen")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["get", "getprebuilt", "get304", "order"], required=True)
    parser.add_argument("--conns", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--etag", default="")
    parser.add_argument("--body", default="")
    args = parser.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency of the menu service
        pass
    print(json.dumps(asyncio.run(_load(args))))
    return 0


def _drive(
    port: int, mode: str, *, conns: int, seconds: float, etag: str = "", body: str = ""
) -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "bench.menu",
        "loadgen",
        "--port",
        str(port),
        "--mode",
        mode,
        "--conns",
        str(conns),
        "--seconds",
        str(seconds),
        "--etag",
        etag,
        "--body",
        body,
    ]
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=seconds + 60, check=True, cwd=REPO
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- servers and data -------------------------------------------------------------------


@contextlib.contextmanager
def _server(target: str, port: int, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    argv = [sys.executable, "-m", "uvicorn", target, "--port", str(port), *UVICORN_FLAGS]
    proc = subprocess.Popen(argv, env={**os.environ, **env}, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{target} did not start") from None
                time.sleep(0.2)
        yield proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def _fetch(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Host": HOST})
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


async def _prepare(server_url: str, redis_url: str) -> tuple[str, str]:
    import asyncpg
    from stelly_core.auth import PasswordHashing
    from stelly_core.db import Database
    from stelly_core.settings import load_settings
    from stelly_menu.demo import seed
    from stelly_tenancy.migrator import migrate_platform
    from stelly_tenancy.provisioning import NewTenant, create_tenant

    name = f"stelly_bench_menu_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    db = await Database.connect(url, load_settings({"STELLY_ENV": "test"}), max_size=2)
    try:
        await migrate_platform(db)
        tenant = await create_tenant(
            db,
            NewTenant(
                slug="pizza",
                name="Pizzeria Stella",
                owner_email="owner@pizza.demo",
                owner_password="stelly-demo",
            ),
            hasher=PasswordHashing(),
        )
        await seed(db, tenant)
    finally:
        await db.close()
    return url, name


async def _drop(server_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(server_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


def _order_body(menu: dict[str, Any]) -> str:
    items = [i for c in menu["categories"] for i in c["items"] if i["available"]]
    with_groups = next(i for i in items if i["modifier_groups"])
    plain = next(i for i in items if not i["modifier_groups"])
    modifiers = [g["options"][0]["id"] for g in with_groups["modifier_groups"] if g["min"] > 0]
    return json.dumps(
        {
            "items": [
                {"item_id": with_groups["id"], "quantity": 2, "modifiers": modifiers},
                {"item_id": plain["id"], "quantity": 1},
            ],
            "customer": {"name": "Bench"},
            "fulfillment": "pickup",
        }
    )


def _line(label: str, result: dict[str, Any]) -> str:
    return (
        f"  {label:<34} {result['rps']:9.0f} req/s   p50 {result['p50_ms']:6.2f} ms"
        f"   p99 {result['p99_ms']:6.2f} ms   {result['statuses']}"
    )


def run(
    server_url: str, redis_url: str, seconds: float, quick: bool = False, pairs: int = 3
) -> int:
    from stelly_core.localstack import free_port

    db_url, db_name = asyncio.run(_prepare(server_url, redis_url))
    env = {
        "STELLY_ENV": "development",
        "STELLY_DATABASE_URL": db_url,
        "STELLY_REDIS_URL": redis_url,
        "KZ_SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
        "STELLY_TENANT_CACHE_TTL": "300",
    }
    try:
        with tempfile.TemporaryDirectory(prefix="stelly-bench-menu-") as tmp:
            menu_port, bare_port = free_port(), free_port()
            with _server("stelly_menu.app:create_app", menu_port, env):
                status, headers, body = _fetch(menu_port, MENU_PATH)
                assert status == 200, status
                etag = headers["etag"] if "etag" in headers else headers["ETag"]
                saved = {
                    "body": body.decode(),
                    "etag": etag,
                    "cache_control": headers.get("cache-control") or headers["Cache-Control"],
                }
                body_file = Path(tmp) / "menu.json"
                body_file.write_text(json.dumps(saved))
                with _server("bench.menu:bare_app", bare_port, {BODY_FILE_ENV: str(body_file)}):
                    _, _, bare_body = _fetch(bare_port, MENU_PATH)
                    assert bare_body == body, "the baseline must serve the same bytes"
                    print(
                        f"menu: {len(body)} bytes, ETag {etag}; {seconds:g} s per run after 1 s warm-up"
                    )
                    runs: dict[str, list[dict[str, Any]]] = {}
                    # Alternate bare and menu runs so that both see the same
                    # background load; ratios are taken pair by pair.
                    plan = []
                    for mode in ("get", "get304"):
                        suffix = "200" if mode == "get" else "304"
                        for i in range(pairs):
                            group = [("bare", bare_port, mode), ("menu", menu_port, mode)]
                            if mode == "get":
                                group.insert(1, ("prebuilt", bare_port, "getprebuilt"))
                            for name, port, how in group if i % 2 == 0 else reversed(group):
                                plan.append((f"{name} GET {suffix}", port, how))
                    if quick:
                        plan = plan[:2]
                    for label, port, mode in plan:
                        result = _drive(port, mode, conns=50, seconds=seconds, etag=etag)
                        runs.setdefault(label, []).append(result)
                        print(_line(label, result), flush=True)
                    if quick:
                        return 0
                    order = _drive(
                        menu_port,
                        "order",
                        conns=10,
                        seconds=seconds,
                        body=_order_body(json.loads(body)),
                    )
                    print(_line("menu POST order (10 conns)", order), flush=True)

        def ratios(suffix: str, baseline: str = "bare") -> list[float]:
            menu, bare = runs[f"menu GET {suffix}"], runs[f"{baseline} GET {suffix}"]
            return [m["rps"] / b["rps"] for m, b in zip(menu, bare, strict=True)]

        def median(label: str, key: str) -> float:
            return statistics.median(r[key] for r in runs[label])

        print("")
        for suffix, what in (("200", "cached menu GET"), ("304", "If-None-Match GET (304)")):
            each = ratios(suffix)
            print(
                f"{what}, full stack vs bare: {statistics.median(each):.2f}x median of"
                f" {len(each)} interleaved pairs ({', '.join(f'{r:.2f}' for r in each)})"
                + (" (target >= 0.8x)" if suffix == "200" else "")
            )
            print(
                f"  req/s median: menu {median(f'menu GET {suffix}', 'rps'):.0f}"
                f" vs bare {median(f'bare GET {suffix}', 'rps'):.0f};"
                f" p50/p99 at 50 connections: menu {median(f'menu GET {suffix}', 'p50_ms'):.2f}"
                f"/{median(f'menu GET {suffix}', 'p99_ms'):.2f} ms"
                f" vs bare {median(f'bare GET {suffix}', 'p50_ms'):.2f}"
                f"/{median(f'bare GET {suffix}', 'p99_ms'):.2f} ms"
            )
        strict = ratios("200", "prebuilt")
        print(
            f"cached menu GET, full stack vs a bare route answering the same way (prebuilt"
            f" headers, no Response object): {statistics.median(strict):.2f}x"
            f" ({', '.join(f'{r:.2f}' for r in strict)});"
            f" that route {median('prebuilt GET 200', 'rps'):.0f} req/s,"
            f" p50/p99 {median('prebuilt GET 200', 'p50_ms'):.2f}"
            f"/{median('prebuilt GET 200', 'p99_ms'):.2f} ms"
        )
        print(
            f"order POST (10 connections): {order['rps']:.0f} orders/s,"
            f" p50 {order['p50_ms']:.2f} ms, p99 {order['p99_ms']:.2f} ms"
            f" ({order['rps'] / median('bare GET 200', 'rps'):.3f}x of bare GET req/s)"
        )
        bad = [
            label
            for label, results in runs.items()
            for r in results
            if set(r["statuses"]) - {"200", "304"}
        ]
        if bad or set(order["statuses"]) != {"201"}:
            print(f"unexpected statuses in {bad or 'orders'}")
            return 1
        return 0
    finally:
        asyncio.run(_drop(server_url, db_name))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["loadgen"]:
        return loadgen_main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench.menu")
    parser.add_argument("--tenants", type=int, default=0, help="accepted for make bench; unused")
    parser.add_argument("--seconds", type=float, default=2.5, help="measured seconds per run")
    parser.add_argument("--pairs", type=int, default=5, help="interleaved bare/menu pairs per path")
    parser.add_argument("--quick", action="store_true", help="only one cached GET pair")
    args, _ = parser.parse_known_args(argv)
    from stelly_core.localstack import configured_or_embedded_servers

    with configured_or_embedded_servers() as (server_url, redis_url):
        return run(server_url, redis_url, args.seconds, args.quick, args.pairs)


if __name__ == "__main__":
    sys.exit(main())
