"""Staff uploads: a dish photo now and then, and what became of each accepted one.

Invariants:

- an upload is followed only once accepted (202): from then on it is
  ``pending`` until its status reads ``ready`` or ``failed``, and its time
  of acceptance is kept for the report;
- an upload POST is sent once, never retried, and an uploader only starts
  one while ``busy`` is set (paused for the settle step);
- polling reads each pending image's status once per pass; a failed read
  leaves it pending for the next pass.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    import random

    from chaos.gateway import Gateway

__all__ = ["Uploads", "poll_uploads", "upload_poller", "uploader"]


@dataclass
class Uploads:
    """Images accepted (202) and what became of them."""

    pending: dict[str, float] = field(default_factory=dict)  # id -> when accepted
    accepted: dict[str, float] = field(default_factory=dict)
    ready: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)

    def accepted_failed(self) -> dict[str, float]:
        return {image_id: self.accepted[image_id] for image_id in sorted(self.failed)}

    def shift(self, seconds: float) -> None:
        """Move every time ``seconds`` earlier (the timeline was rebased)."""
        self.pending = {i: t - seconds for i, t in self.pending.items()}
        self.accepted = {i: t - seconds for i, t in self.accepted.items()}


async def uploader(
    gateway: Gateway,
    uploads: Uploads,
    rng: random.Random,
    image: bytes,
    *,
    every_s: float,
    busy: asyncio.Event,
) -> None:
    """One member of staff, for ever: upload ``image`` about every ``every_s`` seconds."""
    await asyncio.sleep(rng.uniform(0, every_s))
    while True:
        await busy.wait()
        form = aiohttp.FormData()
        form.add_field("file", image, filename="dish.png", content_type="image/png")
        outcome, _, reply = await gateway.exchange(
            "upload", "POST", "/api/v1/media/images", expected=frozenset({202}), staff=True,
            data=form,
        )  # fmt: skip
        if outcome == "ok" and isinstance(reply, dict):
            image_id = str(reply["id"])
            uploads.pending[image_id] = uploads.accepted[image_id] = gateway.rec.now()
        await asyncio.sleep(every_s * rng.uniform(0.7, 1.3))


async def poll_uploads(gateway: Gateway, uploads: Uploads) -> None:
    """One pass over the images still processing."""
    for image_id in list(uploads.pending):
        outcome, _, reply = await gateway.exchange(
            "image", "GET", f"/api/v1/media/images/{image_id}", expected=frozenset({200}),
            staff=True,
        )  # fmt: skip
        if outcome != "ok" or not isinstance(reply, dict):
            continue
        if reply.get("status") == "ready":
            uploads.pending.pop(image_id, None)
            uploads.ready.add(image_id)
        elif reply.get("status") == "failed":
            uploads.pending.pop(image_id, None)
            uploads.failed.add(image_id)


async def upload_poller(gateway: Gateway, uploads: Uploads) -> None:
    """Poll the pending images every 0.5 s, for ever."""
    while True:
        await poll_uploads(gateway, uploads)
        await asyncio.sleep(0.5)
