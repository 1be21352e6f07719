"""Small charts as inline SVG: horizontal bars, lines over months, and 100% stacked bars.

The report is one static HTML file that must open anywhere (a shared drive, an email attachment,
a browser with no network), so charts are drawn here as SVG text instead of by a JavaScript library
fetched from a CDN. Each chart labels its own values, so the numbers survive printing in grey.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Callable, Sequence

PALETTE = ["#005eb8", "#da291c", "#009639", "#ed8b00", "#7c2855", "#00a9ce", "#425563", "#ffb81c"]
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _e(text: object) -> str:
    return html.escape(str(text))


def _nice_max(value: float) -> float:
    """The next round number at or above `value`: 1, 2, 4, 6 or 8 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 4, 6, 8, 10):  # each divides into four round ticks
        if step * power >= value:
            return step * power
    return 10 * power


def bar_chart(
    items: Sequence[tuple[str, float]], *, title: str, fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
    width: int = 640, bar_height: int = 22, label_width: int = 190, colour: str = PALETTE[0],
) -> str:
    """Horizontal bars, one per (label, value), each with its value printed at its end."""
    top = max((v for _, v in items), default=0) or 1
    plot = width - label_width - 70
    rows = []
    for i, (label, value) in enumerate(items):
        y = i * (bar_height + 6)
        length = max(plot * value / top, 1)
        rows.append(
            f'<g transform="translate(0,{y})"><text x="{label_width - 8}" y="{bar_height * 0.7:.0f}" text-anchor="end">{_e(label)}</text>'
            f'<rect x="{label_width}" y="0" width="{length:.1f}" height="{bar_height}" fill="{colour}"><title>{_e(label)}: {_e(fmt(value))}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{bar_height * 0.7:.0f}" class="value">{_e(fmt(value))}</text></g>'
        )
    height = len(items) * (bar_height + 6)
    return (
        f'<svg role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>'
        f"<title>{_e(title)}</title>{''.join(rows)}</svg>"
    )


def line_chart(
    series: dict[str, Sequence[tuple[dt.date, float]]], *, title: str, y_label: str,
    width: int = 760, height: int = 340, fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> str:
    """One line per series over months, a y axis from zero, and a legend with each series' last value."""
    points = [p for values in series.values() for p in values]
    if not points:
        return ""
    first = min(d for d, _ in points)
    last = max(d for d, _ in points)
    months = max((last.year - first.year) * 12 + last.month - first.month, 1)
    top = _nice_max(max(v for _, v in points))
    left, right, upper, lower = 60, 240, 16, 36
    plot_w, plot_h = width - left - right, height - upper - lower

    def x(d: dt.date) -> float:
        return left + plot_w * ((d.year - first.year) * 12 + d.month - first.month) / months

    def y(v: float) -> float:
        return upper + plot_h * (1 - v / top)

    parts = [f'<text x="12" y="{upper + plot_h / 2:.0f}" transform="rotate(-90 12 {upper + plot_h / 2:.0f})" text-anchor="middle">{_e(y_label)}</text>']
    for i in range(5):
        v = top * i / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#d8dde0"/>'
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_e(fmt(v))}</text>'
        )
    for year in range(first.year, last.year + 1):
        tick = dt.date(year, 1, 1)
        if first <= tick <= last:
            parts.append(
                f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{upper}" y2="{upper + plot_h}" stroke="#eef0f1"/>'
                f'<text x="{x(tick):.1f}" y="{height - 12}" text-anchor="middle">{year}</text>'
            )
    ranked = sorted(series.items(), key=lambda item: -item[1][-1][1] if item[1] else 0)
    for i, (name, values) in enumerate(ranked):
        colour = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in sorted(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"><title>{_e(name)}</title></polyline>')
        ly = upper + 14 + i * 18
        latest = sorted(values)[-1][1] if values else None
        parts.append(
            f'<rect x="{width - right + 12}" y="{ly - 9}" width="12" height="4" fill="{colour}"/>'
            f'<text x="{width - right + 30}" y="{ly - 4}">{_e(name)}{"" if latest is None else " " + _e(fmt(latest))}</text>'
        )
    return (
        f'<svg role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>'
        f"<title>{_e(title)}</title>{''.join(parts)}</svg>"
    )


def stacked_bar_chart(
    rows: Sequence[tuple[str, dict[str, float]]], categories: Sequence[str], colours: dict[str, str], *,
    title: str, width: int = 760, bar_height: int = 22, label_width: int = 190,
) -> str:
    """One 100% bar per row, split by `categories` (shares in percent), with a legend."""
    plot = width - label_width - 10
    parts = []
    for i, (label, shares) in enumerate(rows):
        y = 26 + i * (bar_height + 6)
        parts.append(f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.0f}" text-anchor="end">{_e(label)}</text>')
        offset = 0.0
        for category in categories:
            share = shares.get(category) or 0.0
            w = plot * share / 100
            if w > 0:
                parts.append(
                    f'<rect x="{label_width + offset:.1f}" y="{y}" width="{w:.1f}" height="{bar_height}" fill="{colours[category]}">'
                    f"<title>{_e(label)}: {_e(category)} {share:.1f}%</title></rect>"
                )
                if w > 34:
                    parts.append(f'<text x="{label_width + offset + w / 2:.1f}" y="{y + bar_height * 0.7:.0f}" text-anchor="middle" fill="#fff">{share:.0f}%</text>')
            offset += w
    legend_x = label_width
    for category in categories:
        parts.append(f'<rect x="{legend_x}" y="4" width="12" height="12" fill="{colours[category]}"/><text x="{legend_x + 16}" y="14">{_e(category)}</text>')
        legend_x += 24 + 7 * len(category)
    height = 26 + len(rows) * (bar_height + 6)
    return (
        f'<svg role="img" aria-label="{_e(title)}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" {FONT}>'
        f"<title>{_e(title)}</title>{''.join(parts)}</svg>"
    )
