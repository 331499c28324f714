"""The job queue between the media API and its worker.

Jobs are at-least-once: a job is settled only after its work is done, and a
job whose worker died is delivered again. The worker makes every job
idempotent. Two backends implement :class:`JobQueue`: Redis Streams (local,
tests) and Azure Service Bus (the cloud), chosen by ``STELLY_QUEUE``.

Every delivery ends in exactly one settlement: ``complete`` (done),
``retry`` (failed; delivered again after the lock or ``claim_idle`` runs
out), ``dead_letter`` (given up), or ``release`` (handed back unfinished by a
worker that is stopping: another worker may take it at once, and it is not a
failure). ``receive`` may be cancelled while it waits (the worker does so on
SIGTERM); a backend must then claim nothing, or hand back what it claimed.
"""

from __future__ import annotations

import abc
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

import msgspec

__all__ = [
    "ImageJob",
    "JobQueue",
    "MalformedJob",
    "QueueDepth",
    "ReceivedJob",
    "decode_job",
    "encode_job",
]


class ImageJob(msgspec.Struct, frozen=True):
    """Render the variants of one image. The schema is looked up by tenant id."""

    tenant_id: int
    image_id: uuid.UUID


class MalformedJob(ValueError):
    """A message that is not an :class:`ImageJob`."""


def encode_job(job: ImageJob) -> bytes:
    return msgspec.json.encode(job)


def decode_job(data: bytes) -> ImageJob:
    try:
        job = msgspec.json.decode(data, type=ImageJob)
    except msgspec.DecodeError as exc:
        raise MalformedJob(str(exc)) from None
    if job.tenant_id <= 0:
        raise MalformedJob("tenant_id must be positive")
    return job


@dataclass(eq=False)
class ReceivedJob:
    """One delivery of a message: what it says and how often it was delivered.

    ``job`` is ``None`` when the message could not be decoded (it can only be
    dead-lettered); ``raw`` is the message body; ``handle`` is the backend's;
    ``traceparent`` is the trace context the message carried, as it came
    (:mod:`stelly_media.jobs.tracing` reads it, ignoring a malformed one).
    """

    raw: bytes
    delivery_count: int
    handle: Any
    job: ImageJob | None = field(default=None)
    traceparent: str | None = field(default=None)


@dataclass(frozen=True, slots=True)
class QueueDepth:
    """Jobs in the queue: ``waiting`` for a worker, ``pending`` (held by one, unsettled)."""

    waiting: int
    pending: int


class JobQueue(abc.ABC):
    """A queue of image jobs with explicit settlement."""

    #: the backend's ``messaging.system`` (metric attribute)
    messaging_system: ClassVar[str] = "unknown"

    @abc.abstractmethod
    async def enqueue(self, job: ImageJob) -> None:
        """Send a job."""

    @abc.abstractmethod
    async def receive(self, wait_seconds: float) -> ReceivedJob | None:
        """The next job to work on (a new one, or one a dead worker left), or ``None``.

        Waits up to ``wait_seconds`` for one; cancellable while it waits.
        """

    @abc.abstractmethod
    async def complete(self, received: ReceivedJob) -> None:
        """The job is done: remove it."""

    @abc.abstractmethod
    async def retry(self, received: ReceivedJob) -> None:
        """The attempt failed: deliver the job again later."""

    @abc.abstractmethod
    async def dead_letter(self, received: ReceivedJob, reason: str) -> None:
        """Give up on the job: move it to the dead-letter queue."""

    @abc.abstractmethod
    async def release(self, received: ReceivedJob) -> None:
        """Hand the job back unfinished, for any worker to take at once.

        Not a failed attempt: where the backend allows, the delivery is not
        counted toward ``max_deliveries``.
        """

    @abc.abstractmethod
    async def renew(self, received: ReceivedJob) -> None:
        """Keep the job ours while a long attempt runs."""

    async def close(self) -> None:  # noqa: B027 - optional for backends
        """Release connections."""

    async def depth(self) -> QueueDepth | None:
        """How many jobs the queue holds, for the ``stelly.queue.depth`` gauge.

        ``None`` where the backend cannot tell cheaply with the worker's rights
        (Service Bus: counting needs the management plane).
        """
        return None

    def decode(
        self, raw: bytes, delivery_count: int, handle: Any, traceparent: str | None = None
    ) -> ReceivedJob:
        try:
            job: ImageJob | None = decode_job(raw)
        except MalformedJob:
            job = None
        return ReceivedJob(raw, delivery_count, handle, job, traceparent)
