"""Bar charts as inline SVG, drawn on the server: the pages that show them load no script and no
file from elsewhere, so they read the same offline.

One bar a row, its label on the left and its value on the right, longest bar full width. The
``<title>`` and ``<desc>`` of the chart name it and list every value, for screen readers (the
chart is one image to them); each bar has a ``<title>`` of its own, shown on hover, and says
its label and value in ``data-label`` and ``data-value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
ROW_HEIGHT = 24
BAR_HEIGHT = 16
FONT_SIZE = 12
#: An estimate of one character's width at FONT_SIZE, to leave room for the longest label.
CHARACTER_WIDTH = 7
LABEL_WIDTH_MAX = 240
VALUE_WIDTH = 56
PADDING = 4
BAR_COLOUR = "#276890"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, description: str,
              unit: tuple[str, str]) -> Markup:
    """The chart of ``bars``, in their order. ``chart_id`` makes the ids of its title and
    description unique in the page; ``unit``, singular and plural, follows each value where it
    is read out ("1 article", "3 articles")."""
    label_width = min(LABEL_WIDTH_MAX,
                      max((len(bar.label) for bar in bars), default=0) * CHARACTER_WIDTH
                      + 2 * PADDING)
    bar_area = WIDTH - label_width - VALUE_WIDTH
    largest = max((bar.value for bar in bars), default=0)
    height = max(1, len(bars)) * ROW_HEIGHT + 2 * PADDING
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    read_out = " ; ".join(f"{bar.label} : {counted(bar.value, unit)}" for bar in bars)
    parts = [
        f'<svg class="bar-chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(title_id)} {escape(desc_id)}" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width: {WIDTH}px" '
        f'font-size="{FONT_SIZE}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)} {escape(read_out)}</desc>',
    ]
    for row, bar in enumerate(bars):
        top = PADDING + row * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2
        width = bar_area * bar.value / largest if largest > 0 else 0
        parts.append(
            f'<g class="bar" data-label="{escape(bar.label)}" data-value="{bar.value}">'
            f"<title>{escape(bar.label)} : {escape(counted(bar.value, unit))}</title>"
            f'<text x="{label_width - PADDING}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(_shortened(bar.label))}</text>'
            f'<rect x="{label_width}" y="{middle - BAR_HEIGHT / 2}" width="{width:.1f}" '
            f'height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
            f'<text x="{label_width + width + PADDING:.1f}" y="{middle}" '
            f'dominant-baseline="middle">{bar.value}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def counted(value: int, unit: tuple[str, str]) -> str:
    """``1 article``, ``3 articles``: in French, 0 and 1 take the singular."""
    return f"{value} {unit[0] if abs(value) < 2 else unit[1]}"


def _shortened(label: str) -> str:
    """The label as it fits left of the bars; the bar's title keeps it whole."""
    fits = (LABEL_WIDTH_MAX - 2 * PADDING) // CHARACTER_WIDTH
    return label if len(label) <= fits else label[:fits - 1] + "…"
