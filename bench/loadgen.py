"""A small HTTP/1.1 load generator, run as its own process by the benches.

Keep-alive connections over asyncio streams (uvloop when available), a fixed
number of concurrent connections, each sending one request after another
for a fixed time. Prints one JSON line: requests, rps, p50/p99 ms, errors.

``python -m bench.loadgen URL --host HOST [--header K:V] [-c 50] [-d 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from urllib.parse import urlsplit


async def _connection(
    host: str, port: int, request: bytes, deadline: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:].strip())
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - began)
            status = int(status_line.split()[1]) if status_line else 0
            if status >= 400 or status == 0:
                errors.append(status)
                if status == 0:
                    return
    finally:
        writer.close()


async def run(
    url: str, host: str, headers: list[str], concurrency: int, seconds: float
) -> dict[str, float]:
    parts = urlsplit(url)
    path = parts.path + (("?" + parts.query) if parts.query else "")
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *headers, "", ""]
    request = "\r\n".join(lines).encode()
    latencies: list[float] = []
    errors: list[int] = []
    # warm-up
    await asyncio.gather(
        *(
            _connection(
                parts.hostname or "127.0.0.1",
                parts.port or 80,
                request,
                time.perf_counter() + 0.5,
                [],
                [],
            )
            for _ in range(concurrency)
        )
    )
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(
        *(
            _connection(
                parts.hostname or "127.0.0.1",
                parts.port or 80,
                request,
                deadline,
                latencies,
                errors,
            )
            for _ in range(concurrency)
        )
    )
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else 0.0,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0,
        "errors": len(errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("url")
    parser.add_argument("--host", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("-c", "--concurrency", type=int, default=50)
    parser.add_argument("-d", "--seconds", type=float, default=5.0)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    result = asyncio.run(run(args.url, args.host, args.header, args.concurrency, args.seconds))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
