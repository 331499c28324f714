"""Keeping a long-running worker's memory flat from one image to the next.

A worker renders one image at a time, and each job allocates tens of MB in
libvips and on several threads (libvips' pool, the encoder thread, the
thread the job runs on). With glibc's defaults that memory stays with the
process after the job: every thread that allocates gets an arena of its own
(up to eight per core), and freed memory inside an arena, or below the top
of the heap, is kept for reuse rather than given back. Measured on the
``make run`` worker (``python -m bench.worker``), peak RSS grew from 143 MB on
a fresh worker's 39 MP JPEG to 195 MB through a burst of four 12 MP JPEGs
and 198 MB on the next 39 MP JPEG; with the settings below, 130, 141 and
135 MB, and the worker's RSS returns to ~102 MB (idle: 99 MB) after each job.

Invariants:

- :func:`tune_allocator` runs first thing in the worker's ``main``, before
  any thread exists: at most :data:`ARENAS` malloc arenas (the effect of
  ``MALLOC_ARENA_MAX``, set here with ``mallopt`` so that no launcher needs
  an environment variable), and blocks of :data:`MMAP_THRESHOLD` or more are
  mapped on their own, so that freeing a decoded image returns it to the
  system at once (glibc's adaptive threshold would otherwise climb past the
  size of image buffers after the first free and keep them in the heap).
- :func:`release_memory` runs after every job: ``malloc_trim(0)`` gives every
  arena's free pages back.
- Both are no-ops where the C library is not glibc (they report ``False``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any

__all__ = ["ARENAS", "MMAP_THRESHOLD", "release_memory", "tune_allocator"]

#: malloc arenas at most: the asyncio thread and the rendering threads share them.
ARENAS = 2
#: Allocations of at least this many bytes get their own mapping (glibc's
#: initial default, kept fixed instead of growing to 32 MB).
MMAP_THRESHOLD = 1024 * 1024

_M_MMAP_THRESHOLD = -3  # <malloc.h>
_M_ARENA_MAX = -8


@functools.cache
def _glibc() -> Any | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not all(hasattr(libc, f) for f in ("mallopt", "malloc_trim", "gnu_get_libc_version")):
        return None
    return libc


def tune_allocator() -> bool:
    """Limit malloc arenas and fix the mmap threshold (call before any thread starts).

    Returns:
        Whether the settings were applied (glibc only).
    """
    libc = _glibc()
    if libc is None:
        return False
    arenas: int = libc.mallopt(_M_ARENA_MAX, ARENAS)
    threshold: int = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return arenas == 1 and threshold == 1


def release_memory() -> bool:
    """Give the free memory of every arena back to the system (after a job).

    Returns:
        Whether ``malloc_trim`` ran (glibc only).
    """
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True
