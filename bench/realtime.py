"""Realtime benchmarks (issue 4), each figure beside a baseline from the same run.

- memory: RSS per open connection with N idle, subscribed sockets in one
  realtime process (``python -m stelly_realtime``);
- fan-out latency: p50/p99 from publishing one event to its arrival on each
  of the N sockets, over a few rounds.

The baseline is a bare Litestar WebSocket broadcast (no tenancy, auth or
recovery: one ``asyncio.Queue`` and one sender task per socket, a POST that
broadcasts) under the same uvicorn settings. Both are measured by the same
load generator, a separate process with a minimal WebSocket client (one
asyncio protocol object per socket) so that it can hold N sockets on one core.
Its own time to take in N frames is part of every latency figure.

``python -m bench.realtime [--sockets N] [--rounds R]``; needs N plus a few
hundred file descriptors per process (the hard limit is raised to).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SERVE_BASELINE = "--serve-baseline"
GENERATE = "--generate"
_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="


# --- the bare baseline -----------------------------------------------------


def _serve_baseline(port: int) -> int:
    import uvicorn
    from litestar import Litestar, Request, get, post, websocket
    from litestar.connection import WebSocket
    from stelly_realtime.config import RealtimeConfig
    from stelly_realtime.server import uvicorn_config

    queues: set[asyncio.Queue[str]] = set()

    @websocket("/ws/v1")
    async def broadcast_socket(socket: WebSocket[Any, Any, Any]) -> None:
        await socket.accept()
        queue: asyncio.Queue[str] = asyncio.Queue()
        queues.add(queue)

        async def pump() -> None:
            while True:
                await socket.send_text(await queue.get())

        sender = asyncio.create_task(pump())
        try:
            while True:
                message = await socket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                await socket.send_text('{"op":"subscribed"}')
        finally:
            sender.cancel()
            queues.discard(queue)

    @post("/broadcast", status_code=204)
    async def broadcast(request: Request[Any, Any, Any]) -> None:
        text = (await request.body()).decode()
        for queue in queues:
            queue.put_nowait(text)

    @get("/healthz", sync_to_thread=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app = Litestar([broadcast_socket, broadcast, healthz])
    uvicorn.Server(uvicorn_config(app, RealtimeConfig(), host="127.0.0.1", port=port)).run()
    return 0


# --- the load generator (its own process) ------------------------------------


def _client_frame(payload: bytes) -> bytes:
    head = bytes([0x81])
    size = len(payload)
    head += bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + size.to_bytes(2, "big")
    return head + b"\0\0\0\0" + payload  # a zero mask leaves the payload as it is


class _Client(asyncio.Protocol):
    """One socket: handshake, subscribe, then timestamp every text frame."""

    __slots__ = ("buffer", "events", "ready", "request", "subscribe", "transport", "upgraded")

    def __init__(self, request: bytes, subscribe: bytes, events: list[float]) -> None:
        self.request = request
        self.subscribe = subscribe
        self.events = events
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = b""
        self.upgraded = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("closed before subscribing"))

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        buffer = self.buffer + data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buffer
                return
            if not buffer.startswith(b"HTTP/1.1 101") and not self.ready.done():
                self.ready.set_exception(ConnectionError(buffer[:40].decode("latin-1")))
                return
            self.upgraded = True
            buffer = buffer[end + 4 :]
            assert self.transport is not None
            self.transport.write(_client_frame(self.subscribe))
        while len(buffer) >= 2:
            opcode, size, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if size == 126:
                size, start = int.from_bytes(buffer[2:4], "big"), 4
            elif size == 127:
                size, start = int.from_bytes(buffer[2:10], "big"), 10
            if len(buffer) < start + size:
                break
            payload, buffer = buffer[start : start + size], buffer[start + size :]
            if opcode == 0x1:
                if self.ready.done():
                    self.events.append(now)
                elif b'"subscribed"' in payload:
                    self.ready.set_result(None)
                else:
                    self.ready.set_exception(ConnectionError(payload.decode()))
            elif opcode == 0x9 and self.transport is not None:  # ping: pong
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)
        self.buffer = buffer


async def _trigger_http(port: int, body: bytes) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /broadcast HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    await reader.readline()
    writer.close()


async def _generate(options: dict[str, Any]) -> int:
    port, host, sockets, rounds = (
        options["port"],
        options["host"],
        options["sockets"],
        options["rounds"],
    )
    request = (
        (
            f"GET /ws/v1 HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
        ).encode()
        + _KEY
        + b"\r\n\r\n"
    )
    subscribe = b'{"op":"subscribe","channel":"menu"}'
    events: list[float] = []
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(100)
    clients: list[_Client] = []

    async def open_one() -> bool:
        async with gate:
            try:
                _, client = await loop.create_connection(
                    lambda: _Client(request, subscribe, events), "127.0.0.1", port
                )
                await asyncio.wait_for(client.ready, 60)
            except (OSError, TimeoutError, ConnectionError):
                return False
            clients.append(client)
            return True

    began = time.perf_counter()
    opened = sum(await asyncio.gather(*(open_one() for _ in range(sockets))))
    print(json.dumps({"opened": opened, "seconds": time.perf_counter() - began}), flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # the parent reads RSS meanwhile

    redis = None
    if options["mode"] == "realtime":
        from stelly_core.events import publish_event
        from stelly_core.redis import connect_redis

        redis = connect_redis(options["redis_url"])
    latencies: list[float] = []
    delivered: list[int] = []
    for n in range(rounds):
        events.clear()
        body = json.dumps({"version": f"v{n}", "pad": "x" * 64}).encode()
        started = time.perf_counter()
        if redis is not None:
            await publish_event(redis, options["tenant_id"], "menu", "menu.updated", body)
        else:
            frame = b'{"op":"event","channel":"menu","offset":"0-0","type":"menu.updated","data":'
            await _trigger_http(port, frame + body + b"}")
        deadline = started + 30
        while len(events) < opened and time.perf_counter() < deadline:  # noqa: ASYNC110 - a poll keeps the receive path free of callbacks
            await asyncio.sleep(0.005)
        delivered.append(len(events))
        latencies.extend(t - started for t in events)
        await asyncio.sleep(0.5)
    if redis is not None:
        await redis.aclose()
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(
        json.dumps(
            {
                "delivered": delivered,
                "p50_ms": quantiles[49] * 1000,
                "p99_ms": quantiles[98] * 1000,
                "max_ms": latencies[-1] * 1000 if latencies else 0.0,
            }
        ),
        flush=True,
    )
    for client in clients:
        if client.transport is not None:
            client.transport.abort()
    return 0


# --- the parent: servers, measurements, the report ----------------------------


def _raise_fd_limit(sockets: int) -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else sockets + 1024
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return int(wanted)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _wait_healthy(port: int, process: subprocess.Popen[bytes], path: str = "/healthz") -> None:
    import urllib.request

    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"server on {port} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"server on {port} never became healthy")


def _measure(
    mode: str, server_argv: list[str], env: dict[str, str], options: dict[str, Any]
) -> dict[str, Any]:
    from stelly_core.localstack import free_port

    port = free_port()
    server = subprocess.Popen([*server_argv, "--port", str(port)], env=env)
    generator = None
    try:
        _wait_healthy(port, server, "/readyz" if mode == "realtime" else "/healthz")
        time.sleep(0.5)
        rss_idle = _rss_kib(server.pid)
        spec = json.dumps({**options, "mode": mode, "port": port})
        generator = subprocess.Popen(
            [sys.executable, "-m", "bench.realtime", GENERATE, spec],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert generator.stdin is not None
        assert generator.stdout is not None
        opened = json.loads(generator.stdout.readline())
        time.sleep(1.0)
        rss_open = _rss_kib(server.pid)
        generator.stdin.write(b"go\n")
        generator.stdin.flush()
        fanout = json.loads(generator.stdout.readline())
        generator.wait(timeout=60)
        sockets = max(opened["opened"], 1)
        return {
            **opened,
            **fanout,
            "rss_idle_mib": rss_idle / 1024,
            "rss_open_mib": rss_open / 1024,
            "kib_per_socket": (rss_open - rss_idle) / sockets,
        }
    finally:
        for process in (generator, server):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=10)


async def _tenant(database_url: str) -> int:
    from stelly_core.auth import PasswordHashing
    from stelly_core.db import Database
    from stelly_core.settings import load_settings
    from stelly_tenancy.migrator import migrate_platform
    from stelly_tenancy.provisioning import NewTenant, create_tenant

    db = await Database.connect(database_url, load_settings({"STELLY_ENV": "test"}), max_size=2)
    try:
        await migrate_platform(db)
        slug = "bench" + secrets.token_hex(3)
        tenant = await create_tenant(
            db, NewTenant(slug=slug, name="Bench"), hasher=PasswordHashing()
        )
        return tenant.id
    finally:
        await db.close()


def _run(
    sockets: int, rounds: int, database_url: str, redis_url: str, tenant_id: int, slug: str
) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STELLY_", "KZ_"))}
    env.update(
        {
            "STELLY_ENV": "test",
            "STELLY_DATABASE_URL": database_url,
            "STELLY_REDIS_URL": redis_url,
            "KZ_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "STELLY_DATABASE_POOL_SIZE": "4",
        }
    )
    options = {
        "sockets": sockets,
        "rounds": rounds,
        "host": f"{slug}.localhost",
        "redis_url": redis_url,
        "tenant_id": tenant_id,
    }
    python = sys.executable
    results = {
        "baseline": _measure(
            "baseline", [python, "-m", "bench.realtime", SERVE_BASELINE], env, options
        ),
        "realtime": _measure("realtime", [python, "-m", "stelly_realtime"], env, options),
    }
    print(f"{'':34}{'realtime':>14}{'bare baseline':>16}{'ratio':>8}")
    rows = [
        ("sockets open (subscribed)", "opened", "{:.0f}"),
        ("  seconds to open them", "seconds", "{:.1f}"),
        ("RSS with no socket (MiB)", "rss_idle_mib", "{:.1f}"),
        ("RSS with all open (MiB)", "rss_open_mib", "{:.1f}"),
        ("RSS per open socket (KiB)", "kib_per_socket", "{:.1f}"),
        ("fan-out p50 (ms)", "p50_ms", "{:.1f}"),
        ("fan-out p99 (ms)", "p99_ms", "{:.1f}"),
        ("fan-out max (ms)", "max_ms", "{:.1f}"),
    ]
    for label, key, fmt in rows:
        ours, base = results["realtime"][key], results["baseline"][key]
        ratio = f"{ours / base:.2f}x" if base else "-"
        print(f"{label:34}{fmt.format(ours):>14}{fmt.format(base):>16}{ratio:>8}")
    for name, result in results.items():
        print(f"{name}: delivered per round {result['delivered']} of {result['opened']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == [SERVE_BASELINE]:
        port = int(argv[argv.index("--port") + 1])
        return _serve_baseline(port)
    if argv[:1] == [GENERATE]:
        return asyncio.run(_generate(json.loads(argv[1])))
    parser = argparse.ArgumentParser(prog="python -m bench.realtime")
    parser.add_argument("--tenants", type=int, default=0, help="ignored")
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    args, _ = parser.parse_known_args(argv)
    limit = _raise_fd_limit(args.sockets)
    sockets = min(args.sockets, limit - 512)
    if sockets < args.sockets:
        print(f"file-descriptor limit {limit}: measuring {sockets} sockets, not {args.sockets}")
    print(f"{sockets} sockets, {args.rounds} events, one process each for server and generator")

    from stelly_core.localstack import configured_or_embedded_servers

    with configured_or_embedded_servers() as (database_url, redis_url):
        tenant_id = asyncio.run(_tenant(database_url))
        slug = asyncio.run(_slug(database_url, tenant_id))
        return _run(sockets, args.rounds, database_url, redis_url, tenant_id, slug)


async def _slug(database_url: str, tenant_id: int) -> str:
    import asyncpg

    conn = await asyncpg.connect(database_url)
    try:
        return str(await conn.fetchval("SELECT slug FROM public.tenants WHERE id = $1", tenant_id))
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
