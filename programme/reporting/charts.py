"""Server-rendered SVG charts for the reports: no JavaScript, no CDN, readable at 360 px (drawn about as
wide as a phone, with 16 px text, and scaled to the box) and by screen readers (a <title> per chart, and
each bar says its label and value).
Pure functions of their input; every label is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

PALETTE = ("#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"


def bar_chart(title: str, items: Sequence[tuple[str, float]], *, colour: str = PALETTE[0]) -> Markup:
    """Horizontal bars, one row per (label, value), scaled to the largest value; an empty list says so."""
    row, label_w, bar_w, top = 32, 112, 150, 8
    height = top * 2 + row * max(len(items), 1)
    largest = max((v for _l, v in items), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {label_w + bar_w + 72} '
             f'{height}" width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>']
    if not items:
        parts.append(f'<text x="8" y="{top + 20}" font-size="16" fill="#555">—</text>')
    for index, (label, value) in enumerate(items):
        y = top + index * row
        width = max(0.0, value) / largest * bar_w
        text = escape(label if len(label) <= 6 else label[:5] + "…")  # 16 px CJK: six fit the label column
        parts.append(
            f'<g><title>{escape(label)}: {_number(value)}</title>'
            f'<text x="{label_w - 6}" y="{y + 21}" font-size="16" text-anchor="end" fill="#222">{text}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row - 8}" fill="{colour}" rx="2"/>'
            f'<text x="{label_w + width + 6:.1f}" y="{y + 21}" font-size="16" fill="#222">{_number(value)}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and title above went through escape()


def column_chart(title: str, series: Mapping[str, Sequence[tuple[str, float]]]) -> Markup:
    """Grouped columns: one group per category (e.g. a year), one coloured column per series, with a legend."""
    names = list(series)
    categories = list(dict.fromkeys(c for values in series.values() for c, _v in values))
    lookup = {(name, c): v for name, values in series.items() for c, v in values}
    largest = max(lookup.values(), default=0) or 1
    group_w, plot_h, left, top = max(24 * len(names), 48) + 16, 160, 8, 24 + 22 * len(names)
    width = left * 2 + group_w * max(len(categories), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {max(width, 320)} '
             f'{top + plot_h + 28}" width="100%" preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>']
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{left}" y="{6 + index * 22}" width="14" height="14" fill="{colour}"/>'
                     f'<text x="{left + 18}" y="{19 + index * 22}" font-size="16">{escape(name)}</text>')
    bar_w = (group_w - 16) / max(len(names), 1)
    for g, category in enumerate(categories):
        x0 = left + g * group_w + 8
        for index, name in enumerate(names):
            value = lookup.get((name, category), 0)
            h = max(0.0, value) / largest * plot_h
            parts.append(f'<rect x="{x0 + index * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                         f'<title>{escape(category)} {escape(name)}: {_number(value)}</title></rect>')
        parts.append(f'<text x="{x0 + (group_w - 16) / 2:.1f}" y="{top + plot_h + 18}" font-size="16" '
                     f'text-anchor="middle">{escape(category)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label and title above went through escape()
