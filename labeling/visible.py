"""A visible "AI生成" label drawn at an edge of an image (GB 45438-2025).

The standard asks for text at least 5% of the shorter side tall. "Tall" is measured
on the ink actually drawn (rows at least half covered), not on the font size, which
includes ascender and descender room and so overstates the visible height by ~40%.
"""

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import ImageFont

from labeling.glyphs import INK_BOTTOM, INK_TOP, glyph_mask, has_glyph

DEFAULT_TEXT = "AI生成"
MIN_HEIGHT_RATIO = 0.05  # GB 45438: text height at least 5% of the shorter side
# Below this the strokes of 生 and 成 merge: tiny images get a relatively larger label.
MIN_HEIGHT_PX = 8
EDGES = ("bottom-right", "bottom-left", "top-left", "top-right")
# Tried when the text has characters that Pillow's built-in font (ASCII only) lacks.
FALLBACK_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
)
_CJK_SCALE = 1.12  # ideographs look small beside capitals of the same height
_CJK_GAP = 0.08  # of the em
_BACKING_ALPHA = 0.6  # white on 60% black stays above 4.5:1 contrast on a white image
_NOTDEF_PROBE = "\uffff"  # a noncharacter: no font maps it, so it draws .notdef
_MIN_INK_PER_EM = 0.2  # text of dashes or dots alone would need a giant font
_FULL = 128  # a row counts as ink when some pixel in it is at least half covered

FontKey = str | None  # a font file path; None is Pillow's built-in font


@dataclass(frozen=True)
class VisibleLabel:
    text: str
    height_px: int  # ink height of the capitals, digits and ideographs drawn (see module doc)
    box: tuple[int, int, int, int]  # (left, top, right, bottom), right and bottom exclusive
    edge: str


def draw_label(
    rgb: np.ndarray,
    text: str = DEFAULT_TEXT,
    edge: str = "bottom-right",
    font_path: str | None = None,
    height_ratio: float = 0.06,
) -> tuple[np.ndarray, VisibleLabel]:
    """A copy of `rgb` (H x W x 3, uint8) with `text` in a dark box at `edge`."""
    if not MIN_HEIGHT_RATIO <= height_ratio <= 1:
        raise ValueError(f"height_ratio {height_ratio} is not in [{MIN_HEIGHT_RATIO}, 1]")
    if edge not in EDGES:
        raise ValueError(f"edge must be one of {', '.join(EDGES)}, not {edge!r}")
    if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3):
        raise ValueError("expected an H x W x 3 uint8 array")
    if rgb.shape[2] != 3:
        raise ValueError("expected an H x W x 3 uint8 array")
    height, width = rgb.shape[:2]
    target = max(math.ceil(height_ratio * min(height, width) - 1e-9), MIN_HEIGHT_PX)
    tile, text_height = _tile(text, font_path, target)
    tile_h, tile_w = tile.shape
    margin = max(1, round(0.015 * min(height, width)))
    if tile_w + 2 * margin > width or tile_h + 2 * margin > height:
        raise ValueError(f"a {tile_w}x{tile_h} label does not fit in a {width}x{height} image")
    left = margin if edge.endswith("left") else width - margin - tile_w
    top = margin if edge.startswith("top") else height - margin - tile_h
    out = rgb.copy()
    region = out[top : top + tile_h, left : left + tile_w].astype(np.float32)
    region *= 1.0 - _BACKING_ALPHA
    coverage = tile[:, :, None].astype(np.float32) / 255.0
    region += (255.0 - region) * coverage
    out[top : top + tile_h, left : left + tile_w] = np.rint(region).astype(np.uint8)
    box = (left, top, left + tile_w, top + tile_h)
    return out, VisibleLabel(text=text, height_px=text_height, box=box, edge=edge)


def _ink_rows(mask: np.ndarray) -> tuple[int, int] | None:
    rows = np.flatnonzero(mask.max(axis=1) >= _FULL) if mask.size else np.empty(0)
    return (int(rows[0]), int(rows[-1]) + 1) if rows.size else None


def _is_full_height(char: str) -> bool:
    # Capitals, digits and ideographs set the text height; lowercase and
    # punctuation are shorter by design and would force an oversized label.
    wide = unicodedata.east_asian_width(char) in ("W", "F")
    return char.isupper() or char.isdigit() or (wide and char.isalpha())


@lru_cache(maxsize=256)
def _font(key: FontKey, size: int) -> ImageFont.FreeTypeFont:
    if key is None:
        font = ImageFont.load_default(size=size)
        if isinstance(font, ImageFont.FreeTypeFont):
            return font
        # Pillow without FreeType: its bitmap font cannot be scaled.
        key = next((p for p in FALLBACK_FONTS if Path(p).is_file()), None)
        if key is None:
            raise ValueError("no scalable font: Pillow lacks FreeType and DejaVuSans is absent")
    return ImageFont.truetype(key, size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=4096)
def _font_has(key: FontKey, char: str) -> bool:
    """Whether the font has a glyph for `char`: a missing one draws .notdef (or nothing)."""
    font = _font(key, 48)
    mask = font.getmask(char)
    if mask.size[0] * mask.size[1] == 0:
        return False
    notdef = font.getmask(_NOTDEF_PROBE)
    return not (mask.size == notdef.size and bytes(mask) == bytes(notdef))


def _plan(text: str, font_path: str | None) -> tuple[FontKey, list[bool]]:
    """The font for the text, and for each character whether the stroke font draws it."""
    if not text.strip():
        raise ValueError("the label text is empty")
    for char in text:
        if not char.isprintable():
            raise ValueError(f"cannot draw character {char!r} (U+{ord(char):04X})")
    candidates: list[FontKey] = (
        [font_path]
        if font_path is not None
        else [None, *(p for p in FALLBACK_FONTS if Path(p).is_file())]
    )
    needed = [c for c in text if c != " "]
    best: tuple[int, FontKey] | None = None
    for key in candidates:
        covered = sum(_font_has(key, c) or has_glyph(c) for c in needed)
        if best is None or covered > best[0]:
            best = (covered, key)
    assert best is not None
    key = best[1]
    for char in needed:
        if not (_font_has(key, char) or has_glyph(char)):
            raise ValueError(f"no font can draw character {char!r} (U+{ord(char):04X})")
    return key, [c != " " and not _font_has(key, c) and has_glyph(c) for c in text]


def _text_mask(font: ImageFont.FreeTypeFont, text: str) -> tuple[np.ndarray, tuple[int, int]]:
    """Coverage of `text` and its top-left offset from the start of the baseline."""
    core, offset = font.getmask2(text, mode="L", anchor="ls")
    width, height = core.size
    return np.asarray(core, dtype=np.uint8).reshape(height, width), offset


def _font_size_for(key: FontKey, chars: str, target: int) -> int:
    """The smallest font size whose reference glyphs are at least `target` px tall."""
    full = [c for c in chars if _is_full_height(c)]

    def ink(size: int) -> int:
        font = _font(key, size)
        heights = [_ink_height(_text_mask(font, c)[0]) for c in (full or chars)]
        return min(heights) if full else max(heights)

    reference = ink(100)
    if reference < 100 * _MIN_INK_PER_EM:
        raise ValueError(f"no character of {chars!r} is tall enough to carry a label")
    size = max(4, math.ceil(target * 100 / reference))
    while ink(size) < target:
        size += 1
    while size > 4 and ink(size - 1) >= target:
        size -= 1
    return size


def _ink_height(mask: np.ndarray) -> int:
    rows = _ink_rows(mask)
    return rows[1] - rows[0] if rows else 0


def _stroke_em_for(target: int) -> int:
    em = math.ceil(target / (INK_BOTTOM - INK_TOP))
    while _ink_height(np.asarray(glyph_mask("生", em))) < target:
        em += 1
    return em


@lru_cache(maxsize=128)
def _tile(text: str, font_path: str | None, target: int) -> tuple[np.ndarray, int]:
    """The label's coverage mask (backing box size) and its measured text height."""
    key, stroked = _plan(text, font_path)
    font_chars = "".join(c for c, s in zip(text, stroked, strict=True) if not s and c != " ")
    size = _font_size_for(key, font_chars, target) if font_chars else 0
    font = _font(key, size or max(4, target))
    em = 0
    if any(stroked):
        em = _stroke_em_for(math.ceil(target * _CJK_SCALE) if font_chars else target)
    # Pieces are (x, baseline offset, coverage) with the baseline at y = 0.
    pieces: list[tuple[int, int, np.ndarray]] = []
    heights: list[int] = []
    pen = 0.0
    run = ""
    for char, by_stroke in [*zip(text, stroked, strict=True), ("", True)]:
        if not by_stroke:
            run += char
            continue
        if run.strip():
            mask, (left, top) = _text_mask(font, run)
            pieces.append((round(pen) + left, top, mask))
            heights += [_ink_height(_text_mask(font, c)[0]) for c in run if _is_full_height(c)]
        pen += font.getlength(run) if run else 0.0
        if char and run[-1:].strip():
            pen += _CJK_GAP * em  # Latin fonts leave less side room than ideographs
        run = ""
        if char:
            mask = np.asarray(glyph_mask(char, em))
            # Centre the ideograph's ink on the capitals' ink.
            ink_top, ink_bottom = _ink_rows(mask) or (0, em)
            ink_h = ink_bottom - ink_top
            cap = target if font_chars else ink_h
            pieces.append((round(pen), -cap - (ink_h - cap) // 2 - ink_top, mask))
            heights.append(ink_h)
            pen += em
    if not heights:  # no capitals or ideographs: the tallest glyph sets the height
        heights = [max(_ink_height(m) for _, _, m in pieces)]
    x0 = min(x for x, _, _ in pieces)
    y0 = min(y for _, y, _ in pieces)
    x1 = max(x + m.shape[1] for x, _, m in pieces)
    y1 = max(y + m.shape[0] for _, y, m in pieces)
    pad = max(2, round(0.3 * target))
    tile = np.zeros((y1 - y0 + 2 * pad, x1 - x0 + 2 * pad), dtype=np.uint8)
    for x, y, mask in pieces:
        view = tile[y - y0 + pad : y - y0 + pad + mask.shape[0], x - x0 + pad :][:, : mask.shape[1]]
        np.maximum(view, mask, out=view)
    tile.setflags(write=False)  # cached: shared by every call
    return tile, min(heights)
