import io
import json
import re

import jsonschema_rs
import numpy as np
import pytest
from PIL import Image

from explain.canonical import sha256
from explain.report import BuiltReport, explain_restoration
from explain.schema_file import SCHEMA_PATH, schema_text
from explain.schemas import RestorationReport
from tests.explain.models import PARAMS, case, context, linear_parts, run


@pytest.fixture(scope="module")
def built() -> BuiltReport:
    parts = linear_parts()
    image, mask = case()
    output = run(parts, image, mask)
    # A watermark-like nudge outside the mask: one level here, three levels there.
    output = output.copy()
    output[0, :10, 0] = np.clip(output[0, :10, 0].astype(int) + 1, 0, 255).astype(np.uint8) ^ 0
    output[1, 0, 1] = np.uint8((int(output[1, 0, 1]) + 3) % 256)
    return explain_restoration(
        image, mask, output, parts, lambda i, m: run(parts, i, m), context(None, 1), PARAMS
    )


def test_the_committed_schema_matches_the_models() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), "run python -m explain.schema_file"


def test_the_json_matches_the_committed_schema(built: BuiltReport) -> None:
    document = json.loads(built.json_bytes)
    jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text())).validate(document)
    assert document["schema"] == "restoration-report/1"
    assert RestorationReport.model_validate_json(built.json_bytes).call_id == 7
    assert built.json_bytes == json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def test_the_page_fetches_nothing_and_labels_every_image(built: BuiltReport) -> None:
    page = built.files["report.html"][1].decode()
    assert not re.search(r"(src|href)\s*=\s*\"(?!data:)", page)
    assert "<link" not in page and "<script" not in page and "url(" not in page
    stripped = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "http://" not in stripped and "https://" not in stripped
    images = re.findall(r"<img [^>]*>", page)
    assert images and all(re.search(r'alt="[^"]+"', tag) for tag in images)


def test_changes_outside_the_mask_are_counted_against_the_watermark(built: BuiltReport) -> None:
    _, mask = case()
    changed = built.report.what_changed
    outside_nudged = int((~mask[0, :10]).sum()) + int(not mask[1, 0])
    assert changed.changed_outside_mask >= 1
    assert changed.outside_beyond_watermark == int(not mask[1, 0])
    assert changed.changed_outside_mask <= outside_nudged
    assert changed.watermark_levels == 1


def test_input_mask_and_fill_recombine_to_the_output(built: BuiltReport) -> None:
    files = built.files
    image = np.asarray(Image.open(io.BytesIO(files["input.png"][1])))
    mask = np.asarray(Image.open(io.BytesIO(files["mask.png"][1]))) == 255
    fill = np.asarray(Image.open(io.BytesIO(files["fill.png"][1])))
    delta = np.load(io.BytesIO(files["outside_delta.npy"][1]))
    assert fill.shape[2] == 4 and np.array_equal(fill[..., 3] == 255, mask)
    output = np.where(mask[..., None], fill[..., :3], image.astype(np.int16) + delta)
    assert built.report.reversibility.recombines_exactly
    assert not np.array_equal(output, image)
    for piece in built.report.reversibility.pieces:
        assert sha256(files[piece.name][1]) == piece.sha256
