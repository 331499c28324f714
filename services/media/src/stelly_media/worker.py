"""The media worker: ``python -m stelly_media.worker`` (its own process and container).

It takes image jobs from the queue, renders the WebP variants from the
original in Blob Storage, writes them next to it, and marks the image
``ready`` with an ``image.ready`` event in the same transaction. Jobs are
at-least-once, so every step is idempotent: blobs are overwritten with the
same bytes, and only the first completion flips the status and emits the
event. An attempt that fails is retried; one that failed because PostgreSQL
or Redis was unavailable is handed back after ``OUTAGE_RETRY_SECONDS``, not
counted as a delivery, so an outage neither delays it by ``claim_idle`` nor
dead-letters it. A job delivered ``max_deliveries``
times without success (including one whose worker keeps dying) goes to the
dead-letter queue and its image to ``failed``.

Stopping (SIGTERM, SPEC §8) drains the worker:

- It claims nothing once ``stop`` is set. A receive waiting for a new job is
  cancelled at once (the queues guarantee that a cancelled wait claims
  nothing), and a job that a receive returns after ``stop`` is handed back
  untouched.
- The job in hand is finished if it settles within ``finish_within``
  seconds of the stop; otherwise its work is cancelled and the job is
  handed back (:meth:`JobQueue.release`), so another worker takes it at once
  rather than after a lock or ``claim_idle`` runs out. A hand-back is not a
  failure. Settling itself (complete, retry, dead-letter, hand-back) is never
  cut short.
- The outbox relay stops (flushing what the last job committed) only after
  the last job has settled.

Metrics: each delivery's handling, settlement included, is one
``messaging.process.duration`` observation (``error.type`` when handling
raised); the loop counts the queue every few seconds for ``stelly.queue.depth``.

Memory stays flat from job to job (:mod:`stelly_media.memory`): ``main``
limits malloc arenas and fixes the mmap threshold before any thread starts,
every job ends with ``malloc_trim``, and libvips keeps no operation cache
(:func:`~stelly_media.variants.configure_libvips`). Nothing needs to be set
in the environment before the process starts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread
from opentelemetry import trace
from opentelemetry.trace import StatusCode
from stelly_core.errors import is_unavailable
from stelly_core.events import OutboxRelay, enqueue_event
from stelly_core.lifecycle import Lifecycle
from stelly_core.telemetry.instruments import MEDIA_QUEUE_DEPTH, instruments
from stelly_tenancy.registry import TENANT_COLUMNS, row_to_tenant

from stelly_media.images import ImageStatus, fetch_image, mark_failed, mark_ready, variant_urls
from stelly_media.jobs.tracing import JOB_DESTINATION, working_on
from stelly_media.memory import release_memory, tune_allocator
from stelly_media.storage import original_name, variant_name
from stelly_media.variants import configure_libvips, render_variants

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from stelly_core.db import Database
    from stelly_tenancy.models import Tenant

    from stelly_media.jobs import ImageJob, JobQueue, ReceivedJob
    from stelly_media.storage import BlobStore

__all__ = ["OUTAGE_RETRY_SECONDS", "QUEUE_MEASURE_EVERY", "SHUTDOWN_MARGIN", "Worker", "main"]

_log = logging.getLogger("stelly.media.worker")

#: Seconds of ``STELLY_SHUTDOWN_SECONDS`` kept for what follows the job in hand:
#: cancelling it, handing it back, flushing the relay, closing connections.
SHUTDOWN_MARGIN = 5.0
#: Seconds between two counts of the queue for ``stelly.queue.depth``.
QUEUE_MEASURE_EVERY = 5.0
#: A job that met a PostgreSQL or Redis outage goes back to the queue after this pause.
OUTAGE_RETRY_SECONDS = 1.0
#: Seconds a cancelled job gets to unwind before it is abandoned.
_CANCEL_GRACE = 1.0


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


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
        finish_within: float = 10.0,
        pause_file: Path | None = None,
    ) -> None:
        self.db = db
        self.store = store
        self.queue = queue
        self.max_deliveries = max_deliveries
        self.renew_every = renew_every
        #: seconds after the stop for the job in hand to finish before it is handed back
        self.finish_within = finish_within
        self.pause_file = pause_file
        self.relay = OutboxRelay(db, redis)
        self._queue_attributes = {
            "messaging.system": queue.messaging_system,
            "messaging.destination.name": JOB_DESTINATION,
        }
        self._job_attributes = {**self._queue_attributes, "messaging.operation.name": "process"}
        self._measure_at = 0.0

    async def run(self, stop: asyncio.Event, *, poll: float = 2.0) -> None:
        """Work until ``stop`` is set, then drain (see the module docstring)."""
        self.relay.start()
        try:
            while not stop.is_set():
                if time.monotonic() >= self._measure_at:
                    await self.measure_queue()
                try:
                    received = await self._receive(stop, poll)
                except Exception as exc:
                    _log.warning("receiving jobs failed: %s", exc)
                    await _sleep_unless(stop, poll)
                    continue
                if received is None:
                    continue
                try:
                    if stop.is_set():  # claimed as the stop came: not ours to start
                        await self.hand_back(received, "stopping before it started")
                    else:
                        await self.handle(received, stop)
                except Exception as exc:
                    # settling failed (Redis, Service Bus or the database away): the job is
                    # delivered again later, and doing it twice is harmless
                    _log.warning("settling job %r failed: %s", received.raw[:200], exc)
                    await _sleep_unless(stop, poll)
        finally:
            await self.relay.stop()

    async def _receive(self, stop: asyncio.Event, poll: float) -> ReceivedJob | None:
        """The next job, or ``None`` at once when ``stop`` is set while waiting."""
        receiving = asyncio.ensure_future(self.queue.receive(wait_seconds=poll))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({receiving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not receiving.done():
                receiving.cancel()  # a cancelled wait claims nothing (JobQueue.receive)
                await asyncio.wait({receiving})
        return None if receiving.cancelled() else receiving.result()

    async def handle(self, received: ReceivedJob, stop: asyncio.Event | None = None) -> None:
        """One delivery: work it, then complete, retry, dead-letter or hand it back.

        Once ``stop`` is set, the work has ``finish_within`` seconds left. It all
        happens in the job's span, which continues the upload's trace (the
        ``image.ready`` event written meanwhile carries it on).
        """
        started = time.perf_counter()
        error: str | None = None
        try:
            with working_on(received):
                await self._handle(received, stop)
        except BaseException as exc:
            error = type(exc).__qualname__
            raise
        finally:
            attributes = self._job_attributes
            if error is not None:
                attributes = {**attributes, "error.type": error}
            instruments().job_duration.record(time.perf_counter() - started, attributes)
            release_memory()  # what the job freed goes back to the system (stelly_media.memory)

    async def measure_queue(self) -> None:
        """Refresh the ``stelly.queue.depth`` gauge from the queue; never raises.

        Called from the work loop every :data:`QUEUE_MEASURE_EVERY` seconds,
        never from the gauge's callback (which must not do I/O).
        """
        self._measure_at = time.monotonic() + QUEUE_MEASURE_EVERY
        instruments()  # the gauge exists once the instruments are made for the provider
        try:
            async with asyncio.timeout(2.0):
                depth = await self.queue.depth()
        except Exception as exc:
            _log.debug("cannot measure the job queue: %s", exc)
            return
        if depth is not None:
            base = self._queue_attributes
            MEDIA_QUEUE_DEPTH.set(depth.waiting, {**base, "stelly.queue.state": "waiting"})
            MEDIA_QUEUE_DEPTH.set(depth.pending, {**base, "stelly.queue.state": "pending"})

    async def _handle(self, received: ReceivedJob, stop: asyncio.Event | None) -> None:
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
            finished = await self._process_until_stopped(job, stop)
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            trace.get_current_span().set_status(StatusCode.ERROR, reason)
            if is_unavailable(exc) and await self._hand_back_after_outage(received, reason, stop):
                return
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
        if finished:
            await self.queue.complete(received)
        else:
            await self.hand_back(received, f"not finished {self.finish_within:g} s after the stop")

    async def _process_until_stopped(self, job: ImageJob, stop: asyncio.Event | None) -> bool:
        """Process ``job``; ``False`` if it was cancelled, unfinished, after the stop's budget.

        Raises:
            Exception: what the processing raised, if it ended in time.
        """
        work = asyncio.ensure_future(self.process(job))
        try:
            if stop is not None and not work.done():
                stopping = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stopping.cancel()
                if not work.done():
                    await asyncio.wait({work}, timeout=self.finish_within)
            else:
                await asyncio.wait({work})
        finally:
            if not work.done():
                work.cancel()
                # bounded: a cancelled step that lingers is abandoned, its result ignored
                await asyncio.wait({work}, timeout=_CANCEL_GRACE)
        if work.cancelled() or not work.done():
            return False
        work.result()
        return True

    async def _hand_back_after_outage(
        self, received: ReceivedJob, reason: str, stop: asyncio.Event | None
    ) -> bool:
        """Give a job that met a dependency outage back after a short pause.

        PostgreSQL restarting or Redis failing over is not the job's fault:
        the job goes back to the queue (its delivery not counted on Redis
        Streams) and is retried within seconds, instead of waiting out
        ``claim_idle`` as a failed attempt does, and an outage never
        dead-letters it. ``False`` when the hand-back itself failed (the
        dependency is still away): then the job stays pending like any
        failed attempt and is taken again after ``claim_idle``.
        """
        _log.info("job %s met an outage, retrying shortly: %s", received.job, reason)
        if stop is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), OUTAGE_RETRY_SECONDS)
        else:
            await asyncio.sleep(OUTAGE_RETRY_SECONDS)
        try:
            await self.hand_back(received, f"dependency unavailable: {reason}")
        except Exception as exc:
            _log.warning("handing back job %s failed: %s", received.job, exc)
            return False
        return True

    async def hand_back(self, received: ReceivedJob, why: str) -> None:
        """Give the job back unfinished, for another worker to take at once."""
        await self.queue.release(received)
        _log.info("job %s handed back: %s", received.job or received.raw[:200], why)

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
            # abandoned, not awaited, when the job is cancelled: a stopping worker hands
            # the job back within its budget however long libvips takes (the thread
            # runs on; the process exits when it ends, or at the platform's SIGKILL)
            variants = await anyio.to_thread.run_sync(
                render_variants, source, abandon_on_cancel=True
            )
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
        """Fault injection for tests: stop between writing the variants and committing.

        The pause lasts while the file exists: the test deletes it to resume.
        """
        assert self.pause_file is not None
        self.pause_file.write_text("paused")
        while self.pause_file.exists():  # noqa: ASYNC110 - the signal is a file
            await asyncio.sleep(0.05)


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
    redis = connect_redis(r_url, settings.redis_auth)
    queue = open_queue(settings, redis, consumer=args.consumer, claim_idle=args.claim_idle)
    stop = asyncio.Event()
    # the shared drain, with no delay: no edge routes to a worker, so it stops
    # claiming at the first signal
    Lifecycle(drain_seconds=0, shutdown_seconds=settings.shutdown_seconds).install_signal_handlers(
        stop.set
    )
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
            finish_within=max(0.0, settings.shutdown_seconds - SHUTDOWN_MARGIN),
            pause_file=args.pause_file,
        )
        _log.info("media worker started (%s queue)", settings.queue.value)
        await worker.run(stop, poll=args.poll)
        _log.info("media worker stopped")
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
    parser.add_argument(
        "--poll", type=float, default=2.0, help="seconds one wait for a new job lasts"
    )
    parser.add_argument("--pause-file", type=Path, help=argparse.SUPPRESS)  # tests only
    args = parser.parse_args(argv)
    tune_allocator()  # before any thread exists (stelly_media.memory)
    from stelly_core.settings import SettingsError
    from stelly_core.telemetry.setup import configure_telemetry

    try:
        configure_telemetry("stelly-worker")
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    return asyncio.run(_serve(args))


if __name__ == "__main__":
    sys.exit(main())
