"""The visible "AI生成" label: size, placement, and what it refuses to draw."""

import time
from pathlib import Path

import numpy as np
import pytest
from skimage import data as samples

from labeling.glyphs import GLYPHS
from labeling.visible import DEFAULT_TEXT, FALLBACK_FONTS, MIN_HEIGHT_RATIO, draw_label

DEJAVU = next((p for p in FALLBACK_FONTS if Path(p).is_file()), None)
SIZES = [(64, 300), (300, 64), (512, 512), (1000, 300), (300, 1000), (2000, 3000)]


def _ink_rows(out: np.ndarray, box: tuple[int, int, int, int]) -> int:
    """Rows of the box with at least one half-covered white pixel (on a black image)."""
    left, top, right, bottom = box
    rows = np.flatnonzero(out[top:bottom, left:right].max(axis=(1, 2)) >= 128)
    return int(rows[-1] - rows[0] + 1) if rows.size else 0


def _outside(out: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    mask = np.ones(out.shape[:2], dtype=bool)
    left, top, right, bottom = box
    mask[top:bottom, left:right] = False
    return mask


@pytest.mark.parametrize("shape", SIZES)
def test_text_is_at_least_five_percent_of_the_shorter_side(shape: tuple[int, int]) -> None:
    image = np.zeros((*shape, 3), dtype=np.uint8)
    for text in (DEFAULT_TEXT, "H", "生成", "AI"):
        out, label = draw_label(image, text)
        assert label.height_px >= MIN_HEIGHT_RATIO * min(shape)
        assert label.height_px >= 0.06 * min(shape)  # the default ratio
        assert _ink_rows(out, label.box) >= label.height_px
        if text in ("H", "AI"):  # capitals only: the measured ink is the height itself
            assert _ink_rows(out, label.box) == label.height_px


@pytest.mark.parametrize("shape", SIZES)
def test_only_the_box_changes(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
    before = image.copy()
    out, label = draw_label(image)
    assert np.array_equal(image, before)  # a new array: the input is untouched
    assert out.shape == image.shape and out.dtype == np.uint8
    left, top, right, bottom = label.box
    assert 0 <= left < right <= shape[1] and 0 <= top < bottom <= shape[0]
    outside = _outside(out, label.box)
    assert np.array_equal(out[outside], image[outside])
    assert not np.array_equal(out[top:bottom, left:right], image[top:bottom, left:right])


@pytest.mark.parametrize("edge", ["bottom-right", "bottom-left", "top-left", "top-right"])
def test_each_edge(edge: str) -> None:
    height, width = 400, 600
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    out, label = draw_label(image, edge=edge)
    assert label.edge == edge
    left, top, right, bottom = label.box
    margin = 16  # a few pixels from the edge, never in the middle
    assert (top < margin) if edge.startswith("top") else (height - bottom < margin)
    assert (left < margin) if edge.endswith("left") else (width - right < margin)
    # Readable on white: a dark backing box behind pure white text.
    inside = out[top:bottom, left:right]
    assert inside.min() < 110 and inside.max() == 255


def test_readable_on_black_and_on_white() -> None:
    for value in (0, 255):
        image = np.full((300, 300, 3), value, dtype=np.uint8)
        out, label = draw_label(image)
        left, top, right, bottom = label.box
        inside = out[top:bottom, left:right].astype(int)
        assert inside.max() - inside.min() > 150


def test_ratio_below_the_minimum_raises() -> None:
    image = np.zeros((200, 200, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="height_ratio"):
        draw_label(image, height_ratio=0.049)
    for ratio in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError, match="height_ratio"):
            draw_label(image, height_ratio=ratio)
    _, label = draw_label(image, height_ratio=MIN_HEIGHT_RATIO)
    assert label.height_px >= 10


def test_a_larger_ratio_draws_larger_text() -> None:
    image = np.zeros((500, 500, 3), dtype=np.uint8)
    _, small = draw_label(image)
    _, large = draw_label(image, height_ratio=0.12)
    assert large.height_px >= 60 > small.height_px


@pytest.mark.parametrize("text", ["AI生成日", "\u0378", "AI\n生成", "AI\x00", "", "   ", "..."])
def test_unrenderable_text_raises(text: str) -> None:
    with pytest.raises(ValueError):
        draw_label(np.zeros((200, 200, 3), dtype=np.uint8), text)


def test_the_offending_character_is_named() -> None:
    with pytest.raises(ValueError, match="日"):
        draw_label(np.zeros((200, 200, 3), dtype=np.uint8), "AI生成日")


def test_bad_arguments_raise() -> None:
    image = np.zeros((200, 200, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="edge"):
        draw_label(image, edge="middle")
    with pytest.raises(ValueError):
        draw_label(image.astype(np.float32))
    with pytest.raises(ValueError):
        draw_label(np.zeros((200, 200, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="does not fit"):
        draw_label(np.zeros((20, 20, 3), dtype=np.uint8))
    with pytest.raises(ValueError, match="does not fit"):
        draw_label(image, "A much longer label than a small image can hold")


@pytest.mark.skipif(DEJAVU is None, reason="DejaVuSans is not installed")
def test_font_path_and_fallbacks() -> None:
    image = np.zeros((400, 800, 3), dtype=np.uint8)
    # The built-in font is ASCII only; DejaVuSans covers accented Latin.
    _, label = draw_label(image, "Généré par IA")
    assert label.height_px >= 24
    # A given font draws what it can; the stroke glyphs still draw 生 and 成.
    out, label = draw_label(image, DEFAULT_TEXT, font_path=DEJAVU)
    assert label.height_px >= 24 and _ink_rows(out, label.box) >= label.height_px
    with pytest.raises(ValueError, match="日"):
        draw_label(image, "日", font_path=DEJAVU)


def test_stroke_glyphs_have_the_standard_stroke_counts() -> None:
    assert (len(GLYPHS["生"]), len(GLYPHS["成"])) == (5, 6)


def test_drawing_is_fast() -> None:
    image = samples.astronaut()
    draw_label(image)
    start = time.perf_counter()
    for _ in range(20):
        draw_label(image)
    assert (time.perf_counter() - start) / 20 < 0.005
