"""Walking PNG chunks and JPEG segments: leaving a C2PA store out keeps the pixels."""

import io

import numpy as np
import pytest
from PIL import Image

from labeling.c2pa_read import inspect
from labeling.c2pa_sign import SignerConfig, sign
from labeling.c2pa_strip import without_c2pa
from labeling.containers import jpeg_segments, png_chunks
from labeling.identity import generate_identity

CREATED = {
    "claim_generator_info": [{"name": "test"}],
    "title": "t",
    "assertions": [
        {
            "label": "c2pa.actions",
            "data": {
                "actions": [
                    {
                        "action": "c2pa.created",
                        "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/"
                        "digitalCreation",
                    }
                ]
            },
        }
    ],
}


@pytest.mark.parametrize(("fmt", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_a_signed_file_less_its_store_has_the_same_pixels_and_no_manifest(
    fmt: str, media_type: str
) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(buffer, fmt)
    identity = generate_identity("T")
    signed = sign(
        buffer.getvalue(),
        media_type,
        {**CREATED, "format": media_type},
        SignerConfig.from_identity(identity),
    ).data
    stripped = without_c2pa(signed, media_type)
    assert stripped is not None and len(stripped) < len(signed)
    assert inspect(stripped, media_type, identity.root_pem.decode()) is None
    before = np.asarray(Image.open(io.BytesIO(signed)))
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(stripped))), before)
    assert without_c2pa(buffer.getvalue(), media_type) is None  # nothing to leave out


def test_truncated_files_are_refused() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    with pytest.raises(ValueError, match="truncated PNG"):
        list(png_chunks(buffer.getvalue()[:-20]))
    with pytest.raises(ValueError, match="not a JPEG"):
        list(jpeg_segments(buffer.getvalue()))
