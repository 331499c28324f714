"""Pass/fail per service against its SLO, and the report: HTML with the plot, JSON, Markdown."""

from __future__ import annotations

import base64
import html
import json
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from loadtests.runner import Figures
    from loadtests.scale import ServiceScale

__all__ = ["ServiceResult", "write_report"]


@dataclass
class ServiceResult:
    """One service driven at its target: figures, latency curve, extra facts."""

    scale: ServiceScale
    figures: Figures
    curve: list[dict[str, Any]]
    extra: dict[str, Any]
    model: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        slo, got = self.scale.slo, self.figures
        problems = []
        if got.requests == 0 or math.isnan(got.p50_ms):
            return ["no measurement"]
        if got.p50_ms > slo.p50_ms:
            problems.append(f"p50 {got.p50_ms:.0f} > {slo.p50_ms:.0f} ms")
        if got.p99_ms > slo.p99_ms:
            problems.append(f"p99 {got.p99_ms:.0f} > {slo.p99_ms:.0f} ms")
        if got.error_rate > slo.max_error_rate:
            problems.append(f"errors {got.error_rate:.3%} > {slo.max_error_rate:.3%}")
        return problems

    @property
    def passed(self) -> bool:
        return not self.failures

    def summary_line(self) -> str:
        got, slo, rule = self.figures, self.scale.slo, self.scale.rule
        verdict = "PASS" if self.passed else "FAIL (" + "; ".join(self.failures) + ")"
        return (
            f"{self.scale.name:<13} {verdict:<6} rule {rule.type} target {rule.target:g}"
            f" (load {self.scale.load_target:g}): {got.rps:.1f}/s, p50 {got.p50_ms:.0f} ms"
            f" (SLO {slo.p50_ms:.0f}), p99 {got.p99_ms:.0f} ms (SLO {slo.p99_ms:.0f}),"
            f" errors {got.error_rate:.3%} (SLO {slo.max_error_rate:.3%})"
        )

    def as_dict(self) -> dict[str, Any]:
        rule = self.scale.rule
        return {
            "service": self.scale.name,
            "passed": self.passed,
            "failures": self.failures,
            "rule": {"type": rule.type, "target": rule.target, "queue": rule.queue},
            "load_target": self.scale.load_target,
            "slo": {
                "p50_ms": self.scale.slo.p50_ms,
                "p99_ms": self.scale.slo.p99_ms,
                "max_error_rate": self.scale.slo.max_error_rate,
            },
            "at_target": self.figures.as_dict(),
            "curve": self.curve,
            "extra": self.extra,
            "model": {k: v for k, v in self.model.items() if k not in {"load", "metric"}},
        }


def _markdown(results: list[ServiceResult], seconds: float) -> str:
    lines = [
        "# Scale-rule check",
        "",
        f"Local stack, one process per service (one replica each), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s.",
        "",
        "Driven at: concurrent requests (menu, media), open kitchen sockets (realtime),"
        " jobs per burst (media-worker). Per second: requests; realtime: events delivered;"
        " worker: jobs made ready.",
        "",
        "| service | rule | driven at | per s | p50 ms (SLO) | p99 ms (SLO) | errors (SLO) | result |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        got, slo = r.figures, r.scale.slo
        lines.append(
            f"| {r.scale.name} | {r.scale.rule.type} {r.scale.rule.target:g} | {r.scale.load_target:g}"
            f" | {got.rps:.1f} | {got.p50_ms:.0f} ({slo.p50_ms:.0f}) | {got.p99_ms:.0f} ({slo.p99_ms:.0f})"
            f" | {got.error_rate:.3%} ({slo.max_error_rate:.3%}) | {'pass' if r.passed else 'FAIL: ' + '; '.join(r.failures)} |"
        )
    lines += ["", "## Modelled replicas (prod bounds, KEDA formula, 15 s windows)", ""]
    lines += [
        "| service | min | max | peak replicas | windows over max capacity |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        m = r.model
        lines.append(
            f"| {r.scale.name} | {m['min']} | {m['max']} | {m['peak_replicas']} | {m['over_capacity_windows']} |"
        )
    lines += ["", "![latency and modelled replicas](loadtest.png)", ""]
    return "\n".join(lines)


def _plot(results: list[ServiceResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.scale.name for r in results]
    cells = [*names, ".", ".", ".", "."]  # "." leaves a cell empty when fewer ran
    layout = [["curve", *cells[:2]], ["curve", *cells[2:4]]]
    fig, axes = plt.subplot_mosaic(layout, figsize=(16, 7))
    curve_ax = axes["curve"]
    for r in results:
        if not r.curve:
            continue
        loads = [point["load"] for point in r.curve]
        (line,) = curve_ax.plot(
            loads, [p["p50_ms"] for p in r.curve], marker="o", label=f"{r.scale.name} p50"
        )
        colour = line.get_color()
        curve_ax.plot(
            loads,
            [p["p99_ms"] for p in r.curve],
            marker="^",
            linestyle="--",
            color=colour,
            label=f"{r.scale.name} p99",
        )
        curve_ax.axvline(r.scale.load_target, color=colour, alpha=0.25)
        curve_ax.axhline(r.scale.slo.p99_ms, color=colour, alpha=0.35, linestyle=":")
    curve_ax.set_xlabel("concurrent requests on one replica (vertical line: rule target)")
    curve_ax.set_ylabel("latency, ms (dotted: p99 SLO)")
    curve_ax.set_yscale("log")
    curve_ax.set_title("Measured on one replica")
    if curve_ax.get_legend_handles_labels()[0]:
        curve_ax.legend(fontsize=8)

    for r in results:
        ax = axes[r.scale.name]
        minutes = [i * 15 / 60 for i in range(len(r.model["replicas"]))]
        load_ax = ax.twinx()
        load_ax.fill_between(
            minutes,
            [m / r.scale.rule.target for m in r.model["metric"]],
            step="post",
            alpha=0.2,
            color="grey",
        )
        load_ax.set_ylabel(f"{r.scale.rule.metric} / target", fontsize=8)
        ax.step(minutes, r.model["replicas"], where="post", color="tab:red")
        ax.set_ylim(0, r.model["max"] + 1)
        ax.set_ylabel("replicas", color="tab:red")
        ax.set_title(
            f"{r.scale.name}: {r.scale.rule.type} rule, target {r.scale.rule.target:g},"
            f" prod {r.model['min']}-{r.model['max']}",
            fontsize=9,
        )
        ax.set_xlabel("minutes (15 s windows, 5 min cooldown)", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _html(results: list[ServiceResult], seconds: float, plot: Path) -> str:
    """A self-contained page: the pass/fail table and the plot, embedded."""
    rows = "".join(
        "<tr><td>{name}</td><td>{verdict}</td><td>{rule} {target:g}</td><td>{rps:.1f}</td>"
        "<td>{p50:.0f} / {slo50:.0f}</td><td>{p99:.0f} / {slo99:.0f}</td><td>{err:.3%}</td></tr>".format(
            name=html.escape(r.scale.name),
            verdict="PASS" if r.passed else "FAIL: " + html.escape("; ".join(r.failures)),
            rule=html.escape(r.scale.rule.type),
            target=r.scale.rule.target,
            rps=r.figures.rps,
            p50=r.figures.p50_ms,
            slo50=r.scale.slo.p50_ms,
            p99=r.figures.p99_ms,
            slo99=r.scale.slo.p99_ms,
            err=r.figures.error_rate,
        )
        for r in results
    )
    image = base64.b64encode(plot.read_bytes()).decode() if plot.exists() else ""
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Stelly scale-rule check</title>"
        f"<h1>Scale-rule check</h1><p>{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())},"
        f" {seconds:.0f} s</p><table border=1 cellpadding=4><tr><th>service</th><th>verdict</th>"
        "<th>rule</th><th>per s</th><th>p50 / SLO ms</th><th>p99 / SLO ms</th><th>errors</th></tr>"
        f"{rows}</table><h2>Latency and modelled replicas against load</h2>"
        f'<img alt="latency and modelled replicas against load" src="data:image/png;base64,{image}">'
        "</html>"
    )


def write_report(directory: Path, results: list[ServiceResult], seconds: float) -> Path:
    """Write ``report.html`` (with the plot), ``report.json``, ``report.md`` and ``loadtest.png``.

    Returns:
        The HTML report's path.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(
        json.dumps(
            {"seconds": round(seconds, 1), "services": [r.as_dict() for r in results]}, indent=2
        )
    )
    _plot(results, directory / "loadtest.png")
    (directory / "report.md").write_text(_markdown(results, seconds))
    page = directory / "report.html"
    page.write_text(_html(results, seconds, directory / "loadtest.png"))
    return page
