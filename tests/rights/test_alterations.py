"""Altered-copy detection on real photographs, with exact homographies from the copy made."""

import numpy as np
import pytest

from bench import bench_alterations_cases as cases
from bench.bench_alterations_edits import EDITS, caption, visible_edit
from rights.alterations import (
    AlterationInputError,
    AlterationParams,
    Alterations,
    find_alterations,
)

SIDE = 320  # small works keep the file fast; the bench runs them at full size
IOU = 0.3


@pytest.fixture(scope="module")
def works() -> dict[str, np.ndarray]:
    return {name: cases.load(name, SIDE) for name in ("astronaut", "coffee", "camera")}


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def _iou(result: Alterations, box: tuple[int, int, int, int]) -> float:
    bx, by, bw, bh = box
    best = 0.0
    for r in result.regions:
        ix = max(0, min(r.x + r.width, bx + bw) - max(r.x, bx))
        iy = max(0, min(r.y + r.height, by + bh) - max(r.y, by))
        inter = ix * iy
        best = max(best, inter / (r.width * r.height + bw * bh - inter))
    return best


def _in_copy(mask: np.ndarray, copy: cases.Copy) -> np.ndarray:
    import cv2

    h, w = copy.image.shape[:2]
    moved = cv2.warpPerspective(mask.astype(np.float32), copy.work_to_query, (w, h))
    return moved >= 0.5


def _edit(
    rng: np.random.Generator, kind: str, work: np.ndarray, fraction: float, donors: list
) -> tuple[np.ndarray, np.ndarray, int]:
    made = visible_edit(rng, kind, work, fraction, donors)
    assert made is not None, kind
    return made


def _scale(copy: cases.Copy) -> float:
    return float(np.sqrt(abs(np.linalg.det(copy.work_to_query[:2, :2]))))


UNALTERED = {
    "png": [],
    "jpeg q30": [cases.jpeg(30)],
    "resize 25%": [cases.resize(0.25)],
    "rotation 12 deg": [cases.rotate(12), cases.jpeg(75)],
    "rotation then crop": [cases.rotate(-7, expand=False), cases.crop(0.15, 0.1, 0.12, 0.18)],
    "crop then rotation": [cases.crop(0.1, 0.15, 0.05, 0.1), cases.rotate(5), cases.jpeg(75)],
    "crop": [cases.crop(0.2, 0.05, 0.1, 0.2)],
    "mirror": [
        lambda im: (
            im[:, ::-1].copy(),
            np.array([[-1.0, 0, im.shape[1] - 1], [0, 1, 0], [0, 0, 1]]),
        )
    ],
    "brightness": [cases.tone(brightness=0.2)],
    "contrast": [cases.tone(contrast=1.5)],
    "gamma": [cases.tone(gamma=0.6)],
    "grayscale": [cases.grey, cases.jpeg(75)],
    "pad 20%": [cases.pad(0.2, (255, 255, 255))],
    "combination": [
        cases.crop(0.1, 0.05, 0.1, 0.1),
        cases.rotate(4),
        cases.resize(0.5),
        cases.tone(contrast=1.2, gamma=0.9),
        cases.jpeg(40),
    ],
}


@pytest.mark.parametrize("family", list(UNALTERED))
def test_unaltered_copies_are_not_altered(works: dict[str, np.ndarray], family: str) -> None:
    for work in works.values():
        copy = cases.apply(work, UNALTERED[family])
        result = find_alterations(copy.image, work, copy.query_to_work)
        assert not result.altered, (family, result.regions)
        assert result.regions == ()
        assert result.altered_fraction == 0.0
        # the margin is real: nothing came near the threshold
        assert result.peak < 0.6 * result.params.threshold / 255


@pytest.mark.parametrize("kind", list(EDITS))
@pytest.mark.parametrize("family", ["png", "rotation then crop"])
def test_each_edit_is_found_where_it_is(
    works: dict[str, np.ndarray], kind: str, family: str
) -> None:
    rng = np.random.default_rng(sorted(EDITS).index(kind))
    for name, work in works.items():
        donors = [other for key, other in works.items() if key != name]
        # an edit the copy crops away is not in the copy: place it where it shows
        while True:
            edited, mask, _ = _edit(rng, kind, work, 0.05, donors)
            copy = cases.apply(edited, UNALTERED[family])
            if _in_copy(mask, copy).sum() >= 0.5 * mask.sum() * _scale(copy) ** 2:
                break
        changed = np.abs(edited.astype(np.int16) - work).max(axis=2) > 8
        box = _box(_in_copy(changed & mask, copy))
        result = find_alterations(copy.image, work, copy.query_to_work)
        assert result.altered, (name, kind)
        assert _iou(result, box) >= IOU, (name, kind, box, result.regions)
        assert 0.0 < result.altered_fraction < 0.2


def test_a_pasted_caption_is_a_region(works: dict[str, np.ndarray]) -> None:
    rng = np.random.default_rng(3)
    for work in works.values():
        copy = cases.apply(work, [cases.jpeg(75)])
        marked, mask = caption(rng, copy.image)
        result = find_alterations(marked, work, copy.query_to_work)
        assert result.altered
        # the bar runs flush to the copy's edges: so does its region
        assert _iou(result, _box(mask)) >= 0.6, result.regions


def test_a_caption_on_a_turned_copy_is_still_a_region(works: dict[str, np.ndarray]) -> None:
    # Text breaks a caption bar's flat colour, so part of the bar can pass for the turn's
    # fill (left out of the comparison); its text still differs from the work.
    rng = np.random.default_rng(4)
    for work in works.values():
        copy = cases.apply(work, [cases.rotate(4, expand=False), cases.crop(0.1, 0.1, 0.1, 0.1)])
        marked, mask = caption(rng, copy.image)
        result = find_alterations(marked, work, copy.query_to_work)
        assert result.altered
        assert any(mask[r.y : r.y + r.height, r.x : r.x + r.width].any() for r in result.regions)


def test_padding_outside_the_work_is_not_counted(works: dict[str, np.ndarray]) -> None:
    work = works["coffee"]
    copy = cases.apply(work, [cases.pad(0.25, (0, 0, 0)), cases.jpeg(75)])
    result = find_alterations(copy.image, work, copy.query_to_work)
    assert not result.altered
    # a quarter of each side padded: the work covers 1 / 1.5^2 of the copy
    assert result.overlap_fraction == pytest.approx(1 / 1.5**2, abs=0.02)


def test_an_edit_on_a_padded_copy_is_mapped_to_the_copys_pixels(
    works: dict[str, np.ndarray],
) -> None:
    work = works["astronaut"]
    rng = np.random.default_rng(11)
    edited, mask, _ = _edit(rng, "paste", work, 0.05, [works["coffee"]])
    copy = cases.apply(edited, [cases.pad(0.2, (255, 255, 255)), cases.resize(0.7)])
    result = find_alterations(copy.image, work, copy.query_to_work)
    assert _iou(result, _box(_in_copy(mask, copy))) >= 0.5


@pytest.mark.parametrize("seed", range(4))
def test_a_homography_a_few_pixels_off_raises_no_region(
    works: dict[str, np.ndarray], seed: int
) -> None:
    rng = np.random.default_rng(seed)
    for work in works.values():
        copy = cases.apply(work, [cases.rotate(float(rng.uniform(-10, 10))), cases.jpeg(60)])
        off = cases.misregistered(copy.query_to_work, copy.image.shape, rng, (2.0, 3.0))
        assert not np.allclose(off, copy.query_to_work)
        result = find_alterations(copy.image, work, off)
        assert not result.altered, result.regions


def test_an_edit_is_still_found_through_a_homography_a_few_pixels_off(
    works: dict[str, np.ndarray],
) -> None:
    work = works["camera"]
    rng = np.random.default_rng(5)
    edited, mask, _ = _edit(rng, "clone", work, 0.05, [])
    copy = cases.apply(edited, [cases.rotate(6), cases.jpeg(75)])
    off = cases.misregistered(copy.query_to_work, copy.image.shape, rng, (2.0, 3.0))
    result = find_alterations(copy.image, work, off)
    assert result.altered
    assert _iou(result, _box(_in_copy(mask, copy))) >= IOU


def test_no_overlap_is_not_an_alteration(works: dict[str, np.ndarray]) -> None:
    work = works["coffee"]
    far_away = np.array([[1.0, 0, 10_000], [0, 1, 10_000], [0, 0, 1]])
    result = find_alterations(work, work, far_away)
    assert not result.altered
    assert result.overlap_fraction == 0.0


def test_the_answer_records_its_parameters_and_is_repeatable(
    works: dict[str, np.ndarray],
) -> None:
    work = works["astronaut"]
    rng = np.random.default_rng(2)
    edited, _, _ = _edit(rng, "recolour", work, 0.05, [])
    first = find_alterations(edited, work, np.eye(3))
    assert first == find_alterations(edited, work, np.eye(3))
    assert first.params == AlterationParams()
    assert first.params.version >= 1
    stricter = find_alterations(edited, work, np.eye(3), AlterationParams(threshold=250.0))
    assert not stricter.altered
    assert stricter.params.threshold == 250.0


@pytest.mark.parametrize(
    ("query", "homography", "message"),
    [
        (np.zeros((32, 32), np.uint8), np.eye(3), "HxWx3"),
        (np.zeros((32, 32, 3), np.float32), np.eye(3), "uint8"),
        (np.zeros((4, 32, 3), np.uint8), np.eye(3), "too small"),
        (np.zeros((32, 32, 3), np.uint8), np.zeros((3, 3)), "singular"),
        (np.zeros((32, 32, 3), np.uint8), np.eye(2), "3x3"),
        (np.zeros((32, 32, 3), np.uint8), np.full((3, 3), np.nan), "finite"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    query: np.ndarray, homography: np.ndarray, message: str
) -> None:
    work = np.zeros((32, 32, 3), np.uint8)
    with pytest.raises(AlterationInputError, match=message):
        find_alterations(query, work, homography)
