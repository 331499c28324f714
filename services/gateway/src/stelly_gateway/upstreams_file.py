"""``STELLY_UPSTREAMS_FILE``: the live replica list the ``stelly dev`` supervisor writes.

Shape: ``{"origins": {"menu": ["http://127.0.0.1:8001", ...], ...}}``, written
atomically (tmp + rename). A proxied origin named in the file takes the
file's list; the others keep the list from the settings; names the gateway
does not proxy (a worker) are ignored.

Invariants: the file is re-read only when its inode, mtime or size changed;
a missing or broken file keeps the last good lists and is logged once per
outage (and once when it is good again).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from stelly_gateway.settings import parse_replica_urls

if TYPE_CHECKING:
    from pathlib import Path

    from stelly_gateway.replicas import Upstreams

__all__ = ["UpstreamsFile", "parse_upstreams"]

_log = logging.getLogger("stelly.gateway")


def parse_upstreams(text: str) -> dict[str, tuple[str, ...]]:
    """Read the file's JSON.

    Raises:
        ValueError: when it is not the documented shape.
    """
    data = json.loads(text)
    origins = data.get("origins") if isinstance(data, dict) else None
    if not isinstance(origins, dict):
        raise ValueError('expected {"origins": {name: [url, ...]}}')
    out = {}
    for name, urls in origins.items():
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ValueError(f"origin {name!r}: expected a list of URLs")
        out[str(name)] = parse_replica_urls(",".join(urls))
    return out


class UpstreamsFile:
    """Applies the file to :class:`Upstreams` whenever it changes."""

    def __init__(self, path: Path, upstreams: Upstreams) -> None:
        self.path = path
        self.upstreams = upstreams
        self._signature: tuple[int, int, int] | None = None
        self._failing = False

    def refresh(self, *, trusted: bool = False) -> bool:
        """Re-read the file if it changed.

        Args:
            trusted: new replicas start in rotation (the read at startup);
                otherwise they wait for their first 200 from ``/readyz``.

        Returns:
            Whether new lists were applied.
        """
        try:
            stat = self.path.stat()
            signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            if signature == self._signature:
                return False
            lists = parse_upstreams(self.path.read_text())
        except (OSError, ValueError) as exc:
            if not self._failing:
                _log.warning(
                    "upstreams file %s unusable, keeping the last list: %s", self.path, exc
                )
                self._failing = True
            return False
        self._signature = signature
        if self._failing:
            _log.info("upstreams file %s is readable again", self.path)
            self._failing = False
        for origin, urls in lists.items():
            if self.upstreams.get(origin) is not None:  # not the worker: it serves no HTTP
                self.upstreams.set_urls(origin, urls, trusted=trusted)
        return True
