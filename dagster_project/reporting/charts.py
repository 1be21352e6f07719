"""The report's charts: matplotlib figures written as inline SVG.

The report is one static HTML file that must open anywhere (a shared drive, an email attachment, a
browser with no network), so charts are drawn when the report is written, not by a JavaScript
library at view time. Text stays text (`svg.fonttype: none`): it is selectable, scales with the
page, and a test reads the values a chart prints. Every chart labels what a reader needs, so the
numbers survive printing in grey.

Artists a reader (or a test) needs to find carry a `gid`; matplotlib writes it as the id of the
artist's SVG group, and `_svg` prefixes every id in a chart with the chart's own name so several
charts share one page without clashing ids.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape
from matplotlib.figure import Figure
from matplotlib.dates import DateFormatter, YearLocator
from matplotlib.ticker import FuncFormatter
from matplotlib.typing import RcKeyType
import matplotlib

PALETTE = ["#005eb8", "#da291c", "#009639", "#ed8b00", "#7c2855", "#00a9ce", "#425563", "#ffb81c"]
INK, GRID, STANDARD = "#212b32", "#d8dde0", "#4c6272"

# Typed with matplotlib's own key type, so a misspelt rcParam is a type error.
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",  # text as <text>, not glyph outlines
    "svg.hashsalt": "nhs-warehouse",  # the same data gives the same SVG, byte for byte
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],  # matplotlib measures with its own font; the page's CSS may swap it
    "font.size": 9,
    "axes.edgecolor": GRID,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.grid": False,
}

Number = Callable[[float], str]


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _svg(figure: Figure, name: str, title: str) -> Markup:
    """The figure as an <svg> element to put inside HTML, its ids made unique to `name`."""
    buffer = io.StringIO()
    with matplotlib.rc_context(STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and DOCTYPE: not allowed inside HTML
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # matplotlib's stylesheet (`*{stroke-linejoin: round; ...}`) would style the whole HTML page once
    # inlined: its two defaults go on the <svg> element instead.
    text = re.sub(r"<style[^>]*>.*?</style>\s*", "", text, flags=re.S)
    text = text.replace("<svg ", '<svg style="stroke-linejoin:round;stroke-linecap:butt" ', 1)
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{name}-{m.group(1)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{name}-{m.group(1)})", text)
    text = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{name}-{m.group(1)}"', text)
    text = re.sub(r"(<svg [^>]*>)", lambda m: f"{m.group(1)}<title>{escape(title)}</title>", text, count=1)
    text = text.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return Markup(text)  # our own drawing, every label escaped by matplotlib's SVG writer


def _figure(width: float, height: float) -> Figure:
    with matplotlib.rc_context(STYLE):
        return Figure(figsize=(width, height), dpi=96)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _title(figure: Figure, title: str) -> None:
    figure.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold", color=INK)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    name: str,
    title: str,
    fmt: Number = _count,
    colour: str = PALETTE[0],
) -> Markup:
    """Horizontal bars, one per (label, value) from the top down, each with its value printed at its
    end. Each bar is group `<name>-bar-<label>`, each value `<name>-value-<label>`."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(7.2, 0.5 + 0.3 * len(items))
        ax = figure.add_subplot()
        labels = [label for label, _ in items]
        values = [value or 0 for _, value in items]
        bars = ax.barh(range(len(items)), values, color=colour, height=0.75)
        ax.set_yticks(range(len(items)), labels)
        ax.invert_yaxis()
        ax.xaxis.set_visible(False)
        ax.spines[["bottom", "left"]].set_visible(False)
        ax.tick_params(axis="y", length=0)
        for bar, label, value in zip(bars, labels, values, strict=True):
            bar.set_gid(f"bar-{_slug(label)}")
            text = ax.annotate(
                fmt(value),
                (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
            )
            text.set_gid(f"value-{_slug(label)}")
        ax.set_xlim(0, max(values, default=1) * 1.15 or 1)
        _title(figure, title)
        return _svg(figure, name, title)


def stacked_bar_chart(
    rows: Sequence[tuple[str, dict[str, float]]],
    categories: Sequence[str],
    colours: dict[str, str],
    *,
    name: str,
    title: str,
) -> Markup:
    """One 100% bar per row, split by `categories` (shares in percent), with a legend; shares of
    5% or more are printed on their segment."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(8.0, 0.9 + 0.32 * len(rows))
        ax = figure.add_subplot()
        labels = [label for label, _ in rows]
        left = [0.0] * len(rows)
        for category in categories:
            shares = [row.get(category) or 0.0 for _, row in rows]
            bars = ax.barh(range(len(rows)), shares, left=left, color=colours[category], height=0.75, label=category)
            for bar, share in zip(bars, shares, strict=True):
                if share >= 5:
                    ax.text(
                        bar.get_x() + bar.get_width() / 2,
                        bar.get_y() + bar.get_height() / 2,
                        f"{share:.0f}%",
                        ha="center",
                        va="center",
                        color="white",
                        fontsize=8,
                    )
            left = [a + b for a, b in zip(left, shares, strict=True)]
        ax.set_yticks(range(len(rows)), labels)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
        ax.spines[["left"]].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.legend(ncols=len(categories), loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, fontsize=8)
        _title(figure, title)
        figure.subplots_adjust(top=1 - 0.6 / (0.9 + 0.32 * len(rows)))
        return _svg(figure, name, title)


def _month_axis(ax) -> None:
    ax.xaxis.set_major_locator(YearLocator())
    ax.xaxis.set_major_formatter(DateFormatter("%Y"))
    ax.grid(axis="y", color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.margins(x=0.01)


def _dates(values: Sequence[dt.date]) -> Any:
    """Dates for an axis: matplotlib converts them itself (its date units), but its stubs type
    Axes.plot's x as numbers only, so the list is passed on as Any."""
    return list(values)


def line_chart(
    series: Mapping[str, Sequence[tuple[dt.date, float]]],
    *,
    name: str,
    title: str,
    y_label: str,
    fmt: Number = _count,
) -> Markup:
    """One line per series over months from a zero baseline; the legend, ranked by each series'
    last value, prints that value. Each line is group `<name>-line-<series>`."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(8.0, 3.6)
        ax = figure.add_subplot()
        ranked = sorted(series.items(), key=lambda item: -sorted(item[1])[-1][1] if item[1] else 0)
        for i, (label, points) in enumerate(ranked):
            points = sorted(points)
            (line,) = ax.plot(
                _dates([d for d, _ in points]),
                [v for _, v in points],
                color=PALETTE[i % len(PALETTE)],
                linewidth=1.6,
                label=f"{label} {fmt(points[-1][1])}" if points else label,
            )
            line.set_gid(f"line-{_slug(label)}")
        ax.set_ylim(bottom=0)
        ax.set_ylabel(y_label)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
        _month_axis(ax)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        _title(figure, title)
        return _svg(figure, name, title)


def response_time_chart(
    series: Mapping[str, Sequence[tuple[dt.date, float | None, bool]]],
    *,
    name: str,
    title: str,
    standard_minutes: float,
    highlight: str = "England",
    size: tuple[float, float] = (8.0, 3.8),
) -> Markup:
    """Mean response times in minutes over months: `highlight` bold, the other series thin, a dashed
    line at the standard. A point flagged incomplete (False: not every trust reported) breaks its
    line and is drawn as a hollow marker at its value, so a partial sum never reads as a trend.
    Each series is group `<name>-line-<series>`, its incomplete points `<name>-incomplete-<series>`,
    the standard `<name>-standard`."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(*size)
        ax = figure.add_subplot()
        others = [s for s in series if s != highlight]
        for i, label in enumerate([*sorted(others), highlight] if highlight in series else sorted(others)):
            points = sorted(series[label], key=lambda p: p[0])
            bold = label == highlight
            colour = INK if bold else PALETTE[i % len(PALETTE)]
            months = [d for d, _, _ in points]
            complete = [v if (ok and v is not None) else math.nan for _, v, ok in points]
            (line,) = ax.plot(
                _dates(months),
                complete,
                color=colour,
                linewidth=2.6 if bold else 0.9,
                alpha=1.0 if bold else 0.75,
                label=label,
                zorder=3 if bold else 2,
            )
            line.set_gid(f"line-{_slug(label)}")
            partial = [(d, v) for d, v, ok in points if not ok and v is not None]
            if partial:
                (hollow,) = ax.plot(
                    _dates([d for d, _ in partial]),
                    [v for _, v in partial],
                    linestyle="none",
                    marker="o",
                    markersize=4 if bold else 3,
                    markerfacecolor="white",
                    markeredgecolor=colour,
                    markeredgewidth=1.0,
                    zorder=4,
                )
                hollow.set_gid(f"incomplete-{_slug(label)}")
        standard = ax.axhline(
            standard_minutes,
            color=STANDARD,
            linestyle=(0, (5, 3)),
            linewidth=1.2,
            zorder=1,
            label=f"standard: {standard_minutes:g} min",
        )
        standard.set_gid("standard")
        ax.set_ylim(bottom=0)
        ax.set_ylabel("mean response, minutes")
        _month_axis(ax)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        _title(figure, title)
        return _svg(figure, name, title)


def grouped_bar_chart(
    groups: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    name: str,
    title: str,
    y_label: str,
    fmt: Number = _count,
) -> Markup:
    """Vertical bars side by side within each group (e.g. a month), one colour per series (e.g. an
    area), each bar's value printed above it; a missing value leaves its slot empty. Each bar is
    group `<name>-bar-<series>-<group>`."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(8.0, 3.6)
        ax = figure.add_subplot()
        width = 0.8 / max(len(series), 1)
        for i, (label, values) in enumerate(series.items()):
            offsets = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
            for x, group, value in zip(offsets, groups, values, strict=True):
                if value is None:
                    continue
                (bar,) = ax.bar(
                    [x],
                    [value],
                    width=width * 0.92,
                    color=PALETTE[i % len(PALETTE)],
                    label=label if group == next(g for g, v in zip(groups, values, strict=True) if v is not None) else None,
                )
                bar.set_gid(f"bar-{_slug(label)}-{_slug(group)}")
                ax.annotate(
                    fmt(value), (x, value), xytext=(0, 2), textcoords="offset points", ha="center", va="bottom", fontsize=7
                )
        ax.set_xticks(range(len(groups)), groups)
        ax.set_ylabel(y_label)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        _title(figure, title)
        return _svg(figure, name, title)
