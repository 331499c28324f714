"""The media worker: ``python -m stelly_media.worker`` (its own process and container).

It takes image jobs from the queue, renders the WebP variants from the
original in Blob Storage, writes them next to it, and marks the image
``ready`` with an ``image.ready`` event in the same transaction. Jobs are
at-least-once, so every step is idempotent: blobs are overwritten with the
same bytes, and only the first completion flips the status and emits the
event. An attempt that fails is retried; a job delivered ``max_deliveries``
times without success (including one whose worker keeps dying) goes to the
dead-letter queue and its image to ``failed``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from stelly_core.events import OutboxRelay, enqueue_event
from stelly_tenancy.registry import TENANT_COLUMNS, row_to_tenant

from stelly_media.images import ImageStatus, fetch_image, mark_failed, mark_ready, variant_urls
from stelly_media.storage import original_name, variant_name
from stelly_media.variants import configure_libvips, render_variants

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from stelly_core.db import Database
    from stelly_tenancy.models import Tenant

    from stelly_media.jobs import ImageJob, JobQueue, ReceivedJob
    from stelly_media.storage import BlobStore

__all__ = ["Worker", "main"]

_log = logging.getLogger("stelly.media.worker")


class Worker:
    """Works one job at a time (libvips already uses every core for one image)."""

    def __init__(
        self,
        db: Database,
        redis: Redis,
        store: BlobStore,
        queue: JobQueue,
        *,
        max_deliveries: int = 5,
        renew_every: float = 20.0,
        pause_file: Path | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.queue = queue
        self.max_deliveries = max_deliveries
        self.renew_every = renew_every
        self.pause_file = pause_file
        self.relay = OutboxRelay(db, redis)

    async def run(self, stop: asyncio.Event, *, poll: float = 2.0) -> None:
        """Work until ``stop`` is set; the job at hand is finished first."""
        self.relay.start()
        try:
            while not stop.is_set():
                try:
                    received = await self.queue.receive(wait_seconds=poll)
                except Exception as exc:
                    _log.warning("receiving jobs failed: %s", exc)
                    await asyncio.sleep(poll)
                    continue
                if received is None:
                    continue
                try:
                    await self.handle(received)
                except Exception as exc:
                    # settling failed (Redis, Service Bus or the database away): the job is
                    # delivered again later, and doing it twice is harmless
                    _log.warning("settling job %r failed: %s", received.raw[:200], exc)
                    await asyncio.sleep(poll)
        finally:
            await self.relay.stop()

    async def handle(self, received: ReceivedJob) -> None:
        """One delivery: work it, then complete, retry or dead-letter it."""
        job = received.job
        if job is None:
            await self.give_up(received, "malformed job message")
            return
        if received.delivery_count > self.max_deliveries:
            # its earlier workers died on it (killed, out of memory): do not try again
            await self.give_up(received, f"delivered {received.delivery_count} times")
            return
        heartbeat = asyncio.create_task(self._keep_locked(received))
        try:
            await self.process(job)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            _log.warning("job %s failed (delivery %d): %s", job, received.delivery_count, reason)
            if received.delivery_count >= self.max_deliveries:
                await self.give_up(received, reason)
            else:
                await self.queue.retry(received)
            return
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        await self.queue.complete(received)

    async def _keep_locked(self, received: ReceivedJob) -> None:
        while True:
            await asyncio.sleep(self.renew_every)
            try:
                await self.queue.renew(received)
            except Exception as exc:
                _log.warning("renewing the job lock failed: %s", exc)

    async def give_up(self, received: ReceivedJob, reason: str) -> None:
        """Mark the image failed and dead-letter the job."""
        job = received.job
        if job is not None:
            tenant = await self.tenant(job.tenant_id)
            if tenant is not None:
                async with self.db.tenant(tenant.schema) as conn:
                    await mark_failed(conn, job.image_id, reason)
        _log.error("job dead-lettered: %s (%s)", received.raw[:200], reason)
        await self.queue.dead_letter(received, reason)

    async def tenant(self, tenant_id: int) -> Tenant | None:
        """The tenant of a job, from the registry (a job never names a schema)."""
        async with self.db.platform() as conn:
            row = await conn.fetchrow(
                f"SELECT {TENANT_COLUMNS} FROM public.tenants t WHERE t.id = $1",  # noqa: S608 - constant columns
                tenant_id,
            )
        return None if row is None else row_to_tenant(row)

    async def process(self, job: ImageJob) -> None:
        """Render and store the variants of one image; a no-op if it is done."""
        tenant = await self.tenant(job.tenant_id)
        if tenant is None:
            _log.warning("job for unknown tenant %d dropped", job.tenant_id)
            return
        async with self.db.tenant(tenant.schema) as conn:
            row = await fetch_image(conn, job.image_id)
        if row is None or row["status"] != ImageStatus.PROCESSING:
            return  # unknown, or a duplicate delivery of a finished job
        with tempfile.TemporaryDirectory(prefix="stelly-media-") as tmp:
            source = Path(tmp) / "original"
            await self.store.get_original(original_name(tenant.id, job.image_id), source)
            variants = await anyio.to_thread.run_sync(render_variants, source)
        for variant in variants:
            await self.store.put_variant(
                variant_name(tenant.id, job.image_id, variant.name), variant.data
            )
        if self.pause_file is not None:
            await self._pause()
        widths = {str(v.name): v.width for v in variants}
        async with self.db.tenant(tenant.schema) as conn:
            if await mark_ready(conn, job.image_id, widths):
                urls = variant_urls(
                    self.store.public_base_url, tenant.id, job.image_id, list(widths)
                )
                await enqueue_event(
                    conn,
                    tenant.id,
                    "menu",
                    "image.ready",
                    {"id": str(job.image_id), "variants": urls},
                )
        self.relay.wake()

    async def _pause(self) -> None:
        """Fault injection for tests: stop between writing the variants and committing."""
        assert self.pause_file is not None
        self.pause_file.write_text("paused")
        await asyncio.Event().wait()


async def _serve(args: argparse.Namespace) -> int:
    from stelly_core.db import Database
    from stelly_core.localstack import database_url, redis_url
    from stelly_core.redis import connect_redis
    from stelly_core.settings import SettingsError, load_settings

    from stelly_media.jobs import open_queue
    from stelly_media.storage import BlobStore, StorageNotConfigured

    try:
        settings = load_settings()
        store = BlobStore.from_settings(settings)
        db_url, r_url = database_url(settings), redis_url(settings)
    except (SettingsError, StorageNotConfigured) as exc:
        print(exc, file=sys.stderr)
        return 2
    configure_libvips()
    db = await Database.connect(db_url, settings, max_size=4)
    redis = connect_redis(r_url)
    queue = open_queue(settings, redis, consumer=args.consumer, claim_idle=args.claim_idle)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if settings.is_development:
            await store.ensure_container()
        worker = Worker(
            db,
            redis,
            store,
            queue,
            max_deliveries=args.max_deliveries,
            renew_every=max(0.5, min(args.claim_idle / 3, 20.0)),
            pause_file=args.pause_file,
        )
        _log.info("media worker started (%s queue)", settings.queue.value)
        await worker.run(stop)
    finally:
        await queue.close()
        await store.close()
        await redis.aclose()
        await db.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the worker until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m stelly_media.worker")
    parser.add_argument("--consumer", help="this worker's name in the Redis consumer group")
    parser.add_argument(
        "--claim-idle",
        type=float,
        default=60.0,
        help="seconds before another worker's unfinished job is taken over (Redis)",
    )
    parser.add_argument(
        "--max-deliveries", type=int, default=5, help="deliveries before a job is dead-lettered"
    )
    parser.add_argument("--pause-file", type=Path, help=argparse.SUPPRESS)  # tests only
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
