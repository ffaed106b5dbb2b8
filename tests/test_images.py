"""decode_for_analysis: the bounded copy that searches and verification read."""

import numpy as np
import pytest
from PIL import Image, PngImagePlugin
from pydantic import ValidationError

from governance.errors import CorruptImage
from governance.images import decode_for_analysis, decode_image
from governance.settings import MB, Settings
from labeling.watermark import detect, embed
from rights.fingerprints import HashKind, Orientation, fingerprint, hamming, pixel_sha256
from tests.support.helpers import encode, photo

BOUND = 512 * 512  # the least the setting allows
SETTINGS = Settings(max_upload_bytes=50 * MB, analysis_max_pixels=BOUND)


def _photo(side: int) -> Image.Image:
    return photo("astronaut").convert("RGB").resize((side, side), Image.Resampling.LANCZOS)


def _near(a: Image.Image, b: Image.Image) -> None:
    """Both perceptual hashes of `a` within a few bits of `b`'s: the same picture."""
    fa, fb = fingerprint(a), fingerprint(b)
    for kind in HashKind:
        distance = hamming(fa.get(kind, Orientation.ORIGINAL), fb.get(kind, Orientation.ORIGINAL))
        assert distance <= 4, (kind, distance)


def test_an_image_within_the_bound_is_decoded_as_before() -> None:
    data = encode(_photo(500))
    bounded, full = decode_for_analysis(data, SETTINGS), decode_image(data, SETTINGS)
    assert np.array_equal(np.asarray(bounded.image), np.asarray(full.image))
    assert (bounded.width, bounded.height) == (500, 500)
    assert bounded.pixel_sha256 is None
    digest = decode_for_analysis(data, SETTINGS, pixel_digest=True).pixel_sha256
    assert digest == pixel_sha256(full.image)


@pytest.mark.parametrize("side", [1100, 1537, 2048])
def test_a_larger_image_is_reduced_within_the_bound_and_keeps_its_size(side: int) -> None:
    data = encode(_photo(side))
    decoded = decode_for_analysis(data, SETTINGS)
    assert decoded.image.width * decoded.image.height <= BOUND
    assert decoded.image.width >= 256  # the least factor, not a smaller copy than needed
    assert (decoded.width, decoded.height) == (side, side)
    _near(decoded.image, decode_image(data, SETTINGS).image)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
@pytest.mark.parametrize("side", [1024, 1600])
def test_the_watermark_reads_through_the_reduced_copy(fmt: str, side: int) -> None:
    """An output at its usual size, and a larger copy of one, marked as the label stage
    marks them; a 1024 px output is itself over the 512 px bound here."""
    marked = embed(np.asarray(_photo(side)), "0123456789ab")
    data = encode(Image.fromarray(marked), fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    decoded = decode_for_analysis(data, SETTINGS)
    assert decoded.image.width < side
    found = detect(np.asarray(decoded.image.convert("RGB")))
    assert found is not None and found.watermark_id == "0123456789ab"


@pytest.mark.parametrize(
    "mode", ["1", "L", "LA", "P", "RGBA", "CMYK", "I;16", "I", "F", "P-transparent"]
)
def test_every_accepted_mode_is_reduced_to_pixels_that_hash_alike(mode: str) -> None:
    base = _photo(1200)
    if mode == "P-transparent":
        image = base.convert("P")
        image.info["transparency"] = 0
    elif mode == "I;16":
        image = Image.fromarray(np.asarray(base.convert("L")).astype(np.uint16) * 257)
    elif mode in ("I", "F"):
        image = base.convert("L").convert(mode)
    else:
        image = base.convert(mode)
    fmt = "TIFF" if mode in ("CMYK", "I", "F", "LA") else "PNG"
    data = encode(image, fmt)
    decoded = decode_for_analysis(data, SETTINGS)
    assert decoded.image.width * decoded.image.height <= BOUND
    assert decoded.image.mode not in ("P", "PA", "1")  # averaged as colours, not indices
    if mode != "1":  # a dithered bilevel picture is another picture averaged
        _near(decoded.image, decode_image(data, SETTINGS).image)


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_exif_orientation_is_applied_to_the_copy_and_to_the_reported_size(
    orientation: int,
) -> None:
    image = _photo(1200).crop((0, 0, 1200, 800))
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(image, "JPEG", exif=exif.tobytes(), quality=95)
    full = decode_image(data, SETTINGS)
    decoded = decode_for_analysis(data, SETTINGS)
    assert (decoded.width, decoded.height) == (full.width, full.height)
    assert (decoded.image.width > decoded.image.height) == (full.width > full.height)
    _near(decoded.image, full.image)
    digest = decode_for_analysis(data, SETTINGS, pixel_digest=True).pixel_sha256
    assert digest == pixel_sha256(full.image)  # of the upright full pixels


def test_the_full_pixel_digest_of_a_reduced_image_is_the_full_images() -> None:
    data = encode(_photo(1300))
    decoded = decode_for_analysis(data, SETTINGS, pixel_digest=True)
    assert decoded.image.width < 1300
    assert decoded.pixel_sha256 == pixel_sha256(decode_image(data, SETTINGS).image)


def test_the_xmp_of_a_reduced_image_is_still_read() -> None:
    packet = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    data = encode(_photo(1200), "PNG", pnginfo=_xmp_info(packet))
    decoded = decode_for_analysis(data, SETTINGS)
    assert decoded.image.width < 1200
    assert decoded.xmp is not None and "xmpmeta" in decoded.xmp
    assert "XML:com.adobe.xmp" in decoded.image.info


def test_a_truncated_large_image_is_still_refused() -> None:
    data = encode(_photo(1200))
    with pytest.raises(CorruptImage):
        decode_for_analysis(data[: len(data) // 2], SETTINGS)


def test_the_bound_cannot_be_set_below_what_the_watermark_needs() -> None:
    with pytest.raises(ValidationError):
        Settings(analysis_max_pixels=512 * 512 - 1)
    assert Settings().analysis_max_pixels == 4_000_000


def _xmp_info(packet: bytes) -> PngImagePlugin.PngInfo:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", packet.decode())
    return info
