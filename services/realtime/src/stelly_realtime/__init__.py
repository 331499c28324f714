"""Stelly realtime service: tenant-scoped WebSocket fan-out with recovery (SPEC §4)."""

from __future__ import annotations

from stelly_realtime.app import create_app

__all__ = ["create_app"]
