"""The README badge: a flat, shields-style SVG of a score and its band."""

from __future__ import annotations

from xml.sax.saxutils import escape

_COLOURS = {
    "excellent": "#2ea043",
    "good": "#7cb82f",
    "fair": "#dfb317",
    "poor": "#fe7d37",
    "critical": "#e05d44",
}
_GREY = "#555"


def _width(text: str) -> int:
    # Verdana 11px averages ~6.5 px a character; shields pads 10 px around each side.
    return int(len(text) * 6.5) + 10


def render_badge(label: str, score: int | None, band: str | None) -> str:
    value = f"{score} · {band}" if score is not None and band else "not analysed"
    colour = _COLOURS.get(band or "", "#9f9f9f")
    left, right = _width(label), _width(value)
    total = left + right
    label_x, value_x = left * 5, (left + right / 2) * 10
    label_text, value_text = escape(label), escape(value)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label_text}: {value_text}"><title>{label_text}: {value_text}</title>'
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        f'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="{_GREY}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,'
        f'sans-serif" font-size="110">'
        f'<text x="{label_x}" y="140" transform="scale(.1)">{label_text}</text>'
        f'<text x="{value_x:.0f}" y="140" transform="scale(.1)">{value_text}</text></g></svg>'
    )
