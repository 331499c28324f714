"""The collector settings every service applies once it has started."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from litestar import Litestar
from stelly_core.heap import YOUNG_THRESHOLD, settle_heap
from stelly_core.settings import load_settings
from stelly_tenancy.plugin import TenancyPlugin


def test_settle_heap_freezes_the_start_up_heap_and_raises_the_young_threshold() -> None:
    # In a child process: freezing is for good, and must not touch the test run's heap.
    script = textwrap.dedent(
        """
        import gc
        from stelly_core.heap import YOUNG_THRESHOLD, settle_heap
        assert gc.get_freeze_count() == 0
        settle_heap()
        print(gc.get_freeze_count(), gc.get_threshold()[0], YOUNG_THRESHOLD)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    frozen, threshold, expected = (int(x) for x in out)
    assert frozen > 1_000  # every module and object alive at that point
    assert threshold == expected == YOUNG_THRESHOLD


def test_services_settle_the_heap_at_start_up_except_under_test() -> None:
    def hooks(env: str) -> list[object]:
        settings = load_settings({"STELLY_ENV": env})
        return list(Litestar([], plugins=[TenancyPlugin(settings)]).on_startup)

    assert settle_heap in hooks("development")
    assert settle_heap not in hooks("test")
