import json

import pytest

from explain.report import BuiltReport, explain_restoration
from explain.verify import compare_reports
from tests.explain.models import PARAMS, case, context, linear_parts, run


def build() -> BuiltReport:
    parts = linear_parts()
    image, mask = case()
    return explain_restoration(
        image,
        mask,
        run(parts, image, mask),
        parts,
        lambda i, m: run(parts, i, m),
        context(None),
        PARAMS,
    )


@pytest.fixture(scope="module")
def stored() -> BuiltReport:
    return build()


def test_the_same_report_has_the_same_bytes_and_a_rebuild_is_accepted(stored: BuiltReport) -> None:
    rebuilt = build()
    assert rebuilt.json_bytes == stored.json_bytes
    result = compare_reports(stored.json_bytes, rebuilt)
    assert result.ok and result.differences == []
    assert result.tolerance == stored.report.tolerance


def test_a_changed_map_is_refused(stored: BuiltReport) -> None:
    data = json.loads(stored.json_bytes)
    cells = data["why"]["maps"][0]["pooled"]["values"]
    cells[0] = cells[0] * 1.5 + 1.0
    result = compare_reports(json.dumps(data).encode(), build())
    assert not result.ok
    assert any(d.startswith("why.maps[0].pooled") for d in result.differences)


def test_a_scalar_beyond_tolerance_and_a_changed_piece_are_refused(stored: BuiltReport) -> None:
    data = json.loads(stored.json_bytes)
    data["how_sure"]["mean_spread"] *= 1.5
    entry = next(f for f in data["files"] if f["name"] == "fill.png")
    entry["sha256"] = "f" * 64
    result = compare_reports(json.dumps(data).encode(), build())
    assert not result.ok
    assert any("how_sure.mean_spread" in d for d in result.differences)
    assert any("files.fill.png" in d for d in result.differences)


def test_a_scalar_within_tolerance_is_accepted(stored: BuiltReport) -> None:
    data = json.loads(stored.json_bytes)
    data["how_sure"]["mean_spread"] *= 1.0 + stored.report.tolerance.scalar_rel / 2
    assert compare_reports(json.dumps(data).encode(), build()).ok
