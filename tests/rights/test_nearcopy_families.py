"""Near-copy search finds each family of copies and reports the transform they went through."""

import io
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageOps

from rights.nearcopy.record import WorkRecord
from rights.nearcopy.search import NearCopy, NearCopyIndex, describe_work
from tests.support.helpers import photo

WORKS = {1: "astronaut", 2: "camera", 3: "coffee"}


@pytest.fixture(scope="module")
def registry() -> tuple[NearCopyIndex, dict[int, WorkRecord]]:
    index = NearCopyIndex()
    records = {work_id: describe_work(photo(name)) for work_id, name in WORKS.items()}
    index.add_many(records.items())
    return index, records


def search(
    registry: tuple[NearCopyIndex, dict[int, WorkRecord]], image: Image.Image
) -> list[NearCopy]:
    index, records = registry

    def load(ids: Sequence[int]) -> dict[int, WorkRecord]:
        return {i: records[i] for i in ids if i in records}

    return index.search(image, load)


def coffee() -> Image.Image:
    return photo("coffee").convert("RGB")


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def turned_difference(angle: float, expected: float) -> float:
    return abs((angle - expected + 180.0) % 360.0 - 180.0)


def caption(image: Image.Image) -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, out.height - 50, out.width, out.height), fill=(255, 255, 255))
    draw.text((10, out.height - 40), "Courtesy of the museum", fill=(0, 0, 0), font_size=28)
    return out


def logo(image: Image.Image) -> Image.Image:
    out = image.copy()
    mark = photo("chelsea").convert("RGB").resize((110, 110))  # a picture registered nowhere
    out.paste(mark, (out.width - 110, 0))
    return out


def frame(image: Image.Image) -> Image.Image:
    out = image.copy()
    ImageDraw.Draw(out).rectangle(
        (0, 0, out.width - 1, out.height - 1), outline=(200, 30, 30), width=25
    )
    return out


def faded(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    return Image.fromarray(np.clip(140 + (values - 128) * 0.35, 0, 255).astype(np.uint8))


def dark(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    return Image.fromarray(np.clip(255 * (values / 255) ** 2.2 * 0.6, 0, 255).astype(np.uint8))


def combination(image: Image.Image) -> Image.Image:
    out = image.crop((40, 30, 560, 370)).rotate(-8, Image.Resampling.BICUBIC, expand=True)
    out = ImageOps.mirror(out).resize((260, 190), Image.Resampling.BILINEAR)
    return jpeg(out, 50)


# family: (change, turn in degrees counterclockwise, mirrored, inverted)
FAMILIES: dict[str, tuple[Callable[[Image.Image], Image.Image], float, bool, bool]] = {
    "jpeg_q30": (lambda im: jpeg(im, 30), 0.0, False, False),
    "resize_25": (lambda im: im.resize((150, 100), Image.Resampling.BILINEAR), 0.0, False, False),
    "crop": (lambda im: im.crop((90, 60, 540, 330)), 0.0, False, False),
    "rotate_12": (
        lambda im: im.rotate(12, Image.Resampling.BICUBIC, expand=True),
        12.0,
        False,
        False,
    ),
    "rotate_minus_15": (
        lambda im: im.rotate(-15, Image.Resampling.BICUBIC, expand=True),
        -15.0,
        False,
        False,
    ),
    "mirror": (ImageOps.mirror, 0.0, True, False),
    "flip": (ImageOps.flip, 180.0, True, False),
    "turn_90": (lambda im: im.transpose(Image.Transpose.ROTATE_90), 90.0, False, False),
    "turn_180": (lambda im: im.transpose(Image.Transpose.ROTATE_180), 180.0, False, False),
    "turn_270": (lambda im: im.transpose(Image.Transpose.ROTATE_270), -90.0, False, False),
    "caption": (caption, 0.0, False, False),
    "logo": (logo, 0.0, False, False),
    "frame": (frame, 0.0, False, False),
    "pad_20": (
        lambda im: ImageOps.expand(im, (120, 80, 120, 80), fill=(0, 90, 0)),
        0.0,
        False,
        False,
    ),
    "grey": (lambda im: ImageOps.grayscale(im), 0.0, False, False),
    "faded": (faded, 0.0, False, False),
    "dark": (dark, 0.0, False, False),
    "inversion": (ImageOps.invert, 0.0, False, True),
    "mirrored_negative": (lambda im: ImageOps.invert(ImageOps.mirror(im)), 0.0, True, True),
    "combination": (combination, 8.0, True, False),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_each_family_is_found_with_its_transform(registry, family):
    change, turn, mirrored, inverted = FAMILIES[family]
    matches = search(registry, change(coffee()))
    assert matches, family
    best = matches[0]
    assert best.work_id == 3
    assert {m.work_id for m in matches} == {3}
    assert 0.5 <= best.score <= 1.0
    t = best.transform
    assert turned_difference(t.rotation_degrees, turn) <= 2.0, t
    assert t.mirrored is mirrored
    assert t.inverted is inverted


def test_a_resize_reports_its_scale_and_the_whole_work(registry):
    best = search(registry, coffee().resize((150, 100), Image.Resampling.BILINEAR))[0]
    assert best.transform.scale == pytest.approx(0.25, rel=0.03)
    shown = best.transform.query_in_work
    assert (shown.x, shown.y) == pytest.approx((0, 0), abs=4)
    assert (shown.width, shown.height) == pytest.approx((600, 400), abs=6)
    assert best.transform.work_fraction > 0.97


def test_a_crop_reports_its_window_in_the_work(registry):
    best = search(registry, coffee().crop((90, 60, 540, 330)))[0]
    shown = best.transform.query_in_work
    assert (shown.x, shown.y, shown.width, shown.height) == pytest.approx((90, 60, 450, 270), abs=3)
    whole = best.transform.work_in_query
    assert (whole.x, whole.y, whole.width, whole.height) == pytest.approx((0, 0, 450, 270), abs=3)
    assert best.transform.work_fraction == pytest.approx(450 * 270 / (600 * 400), abs=0.02)


def test_padding_reports_where_the_work_sits_in_the_query(registry):
    padded = ImageOps.expand(coffee(), (120, 80, 120, 80), fill=(0, 90, 0))
    best = search(registry, padded)[0]
    placed = best.transform.work_in_query
    assert (placed.x, placed.y, placed.width, placed.height) == pytest.approx(
        (120, 80, 600, 400), abs=3
    )
    assert best.transform.query_fraction == pytest.approx(600 * 400 / (840 * 560), abs=0.02)


def test_the_homography_maps_query_pixels_onto_the_work(registry):
    turned = coffee().transpose(Image.Transpose.ROTATE_90)  # 400 x 600
    best = search(registry, turned)[0]
    # ROTATE_90 sends work pixel (x, y) to query pixel (y, 599 - x).
    query_points = np.array([[100.0, 500.0, 1.0], [300.0, 50.0, 1.0]]).T
    mapped = best.query_to_work @ query_points
    mapped = (mapped[:2] / mapped[2]).T
    assert mapped == pytest.approx(np.array([[99.0, 100.0], [549.0, 300.0]]), abs=1.5)
    assert len(best.homography) == 3 and all(len(row) == 3 for row in best.homography)


def test_a_plain_copy_is_answered_by_the_plain_pass(registry):
    # A strong match ends the search: nothing reported is mirrored or inverted.
    matches = search(registry, jpeg(photo("camera").convert("RGB"), 40))
    assert [m.work_id for m in matches] == [2]
    assert not matches[0].transform.mirrored and not matches[0].transform.inverted


def test_a_mirrored_symmetric_picture_is_reported_mirrored():
    # The launch pad is nearly symmetric: mirrored, it also matches itself unmirrored,
    # turned 13 degrees, with 16 inliers. That weak match must not stop the mirrored pass
    # from finding the real one.
    work = photo("rocket").convert("RGB").crop((40, 2, 549, 362))
    record = describe_work(work)
    index = NearCopyIndex()
    index.add(1, record)
    for change, turn in ((ImageOps.mirror, 0.0), (ImageOps.flip, 180.0)):
        best = index.search(change(work), lambda ids: {1: record})[0]
        assert best.transform.mirrored
        assert turned_difference(best.transform.rotation_degrees, turn) <= 2.0
        assert best.inliers >= 100
