"""Inline SVG charts by hand: a time axis, phase bands, points or bars (no plotting library).

``make test`` has no matplotlib, so the chaos report draws its own. One
function, :func:`time_chart`; every value is escaped, every coordinate is
clamped into the plot area, so odd data draws oddly but never breaks the page.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

__all__ = ["Band", "Series", "time_chart"]

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


@dataclass(frozen=True)
class Band:
    """A shaded stretch of time: a phase (light) and its fault (darker)."""

    start: float
    end: float
    label: str
    fault: tuple[float, float] | None = None


@dataclass
class Series:
    """Points ``(t, y)`` drawn as dots, or as bars of width ``bar`` seconds."""

    name: str
    points: list[tuple[float, float]] = field(default_factory=list)
    bar: float | None = None
    colour: str | None = None


def _ticks(top: float, count: int = 5) -> list[float]:
    if top <= 0:
        return [0.0]
    raw = top / count
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            step *= m
            break
    return [i * step for i in range(int(top / step) + 1)]


def time_chart(
    title: str,
    series: list[Series],
    bands: list[Band],
    *,
    y_label: str,
    y_max: float | None = None,
    width: int = 1100,
    height: int = 360,
) -> str:
    """An SVG ``<svg>`` element: x is seconds since the load started, y from 0 to ``y_max``."""
    left, right, top, bottom = 60, 10, 40, 120
    pw, ph = width - left - right, height - top - bottom
    t_end = max([b.end for b in bands] + [p[0] for s in series for p in s.points] + [1.0])
    ys = [p[1] for s in series for p in s.points]
    y_top = y_max if y_max is not None else (max(ys) * 1.05 if ys else 1.0)
    y_top = max(y_top, 1e-9)

    def x(t: float) -> float:
        return left + max(0.0, min(1.0, t / t_end)) * pw

    def y(v: float) -> float:
        return top + ph - max(0.0, min(1.0, v / y_top)) * ph

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for i, band in enumerate(bands):
        shade = "#f2f2f2" if i % 2 else "#e6eef7"
        out.append(
            f'<rect x="{x(band.start):.1f}" y="{top}" width="{max(0.5, x(band.end) - x(band.start)):.1f}"'
            f' height="{ph}" fill="{shade}"><title>{html.escape(band.label)}</title></rect>'
        )
        if band.fault and band.fault[1] >= band.fault[0]:
            fx, fw = x(band.fault[0]), max(1.0, x(band.fault[1]) - x(band.fault[0]))
            out.append(
                f'<rect x="{fx:.1f}" y="{top}" width="{fw:.1f}" height="{ph}" fill="#f4c7c3"'
                f' opacity="0.7"><title>fault: {html.escape(band.label)}</title></rect>'
            )
        cx = (x(band.start) + x(band.end)) / 2
        out.append(
            f'<text x="{cx:.1f}" y="{top + ph + 14}" text-anchor="end"'
            f' transform="rotate(-30 {cx:.1f} {top + ph + 14})">{html.escape(band.label)}</text>'
        )
    for tick in _ticks(y_top):
        out.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y(tick):.1f}" y2="{y(tick):.1f}"'
            f' stroke="#ccc" stroke-width="0.5"/>'
            f'<text x="{left - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">{tick:g}</text>'
        )
    for tick in _ticks(t_end, 10):
        out.append(
            f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top + ph}" y2="{top + ph + 4}"'
            f' stroke="#333"/><text x="{x(tick):.1f}" y="{top + ph - 3}" text-anchor="middle"'
            f' fill="#666">{tick:g}</text>'
        )
    out.append(
        f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})"'
        f' text-anchor="middle">{html.escape(y_label)}</text>'
    )
    for i, s in enumerate(series):
        colour = s.colour or _PALETTE[i % len(_PALETTE)]
        if s.bar is not None:
            bw = max(0.6, s.bar / t_end * pw)
            parts = [
                f'<rect x="{x(t):.1f}" y="{y(v):.1f}" width="{bw:.1f}" height="{y(0) - y(v):.1f}"/>'
                for t, v in s.points
            ]
            out.append(f'<g fill="{colour}">' + "".join(parts) + "</g>")
        else:
            parts = [f'<circle cx="{x(t):.1f}" cy="{y(v):.1f}" r="1.3"/>' for t, v in s.points]
            out.append(f'<g fill="{colour}" fill-opacity="0.6">' + "".join(parts) + "</g>")
        out.append(
            f'<rect x="{left + pw - 180}" y="{top + 4 + 14 * i}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{left + pw - 165}" y="{top + 13 + 14 * i}">{html.escape(s.name)}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#333"/>'
        f'<line x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}" stroke="#333"/>'
        f'<text x="{left + pw}" y="{top - 6}" text-anchor="end">seconds since the load started'
        f" (0 to {t_end:.0f})</text></svg>"
    )
    return "".join(out)
