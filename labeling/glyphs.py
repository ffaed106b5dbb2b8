"""A tiny stroke font for the CJK characters of the default visible label.

No CJK font can be assumed on a server, and the label must render offline on any
machine, so 生 and 成 are drawn from their strokes. Coordinates are in a unit em
square, x to the right and y downwards; each stroke is a polyline drawn with round
joins and caps. Stroke order and shapes follow the standard forms:
生 = pie heng heng shu heng (5 strokes),
成 = heng pie hengzhegou xiegou pie dian (6 strokes).
"""

from functools import lru_cache

from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = tuple[Point, ...]

STROKE_WIDTH = 0.09  # of the em: close to a regular-weight CJK font
# Ink of every glyph lies between these (after the stroke half-width); the label
# aligns the glyphs' ink with the cap height of the Latin text beside them.
INK_TOP, INK_BOTTOM = 0.06 - STROKE_WIDTH / 2, 0.92 + STROKE_WIDTH / 2

GLYPHS: dict[str, tuple[Stroke, ...]] = {
    "生": (
        ((0.33, 0.06), (0.30, 0.20), (0.24, 0.34), (0.14, 0.46)),  # pie
        ((0.24, 0.31), (0.84, 0.31)),  # heng
        ((0.20, 0.60), (0.80, 0.60)),  # heng
        ((0.52, 0.08), (0.52, 0.92)),  # shu
        ((0.06, 0.92), (0.94, 0.92)),  # heng
    ),
    "成": (
        ((0.16, 0.30), (0.92, 0.27)),  # heng
        ((0.20, 0.30), (0.20, 0.64), (0.16, 0.78), (0.07, 0.92)),  # pie
        ((0.21, 0.52), (0.42, 0.52), (0.40, 0.78), (0.33, 0.73)),  # hengzhegou
        # xiegou
        ((0.53, 0.06), (0.56, 0.38), (0.64, 0.60), (0.76, 0.78), (0.90, 0.92), (0.93, 0.76)),
        ((0.82, 0.46), (0.68, 0.68), (0.50, 0.86)),  # pie
        ((0.70, 0.08), (0.80, 0.17)),  # dian
    ),
}

_SUPERSAMPLE = 4  # ImageDraw lines are aliased: draw large, then average down


def has_glyph(char: str) -> bool:
    return char in GLYPHS


@lru_cache(maxsize=64)
def glyph_mask(char: str, em_px: int) -> Image.Image:
    """An anti-aliased coverage mask ("L", em_px square) of `char` at an em of `em_px`."""
    size = em_px * _SUPERSAMPLE
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    width = max(1, round(STROKE_WIDTH * size))
    radius = width / 2
    for stroke in GLYPHS[char]:
        points = [(x * size, y * size) for x, y in stroke]
        draw.line(points, fill=255, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return mask.reduce(_SUPERSAMPLE)
