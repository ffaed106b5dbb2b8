"""bundle.json's versions: version 2 states a subject with the subjects it stands for,
version 1 bundles still verify, and any other format or malformed selection is named."""

import json
from typing import Any

import pytest
from sqlmodel import Session

from governance.audit.bundle import build_bundle
from governance.audit.bundle_format import (
    FORMAT,
    FORMAT_V1,
    MetaError,
    RangeSelection,
    SubjectSelection,
    parse_selection,
)
from governance.audit.verify_bundle import BundleError, verify_bundle
from tests.support.service_fixture import Service

Files = dict[str, bytes]


@pytest.fixture
def bundles(service: Service) -> tuple[Files, Files, str]:
    """A range bundle and a subject bundle of the service's key entries, and the key."""
    services = service.app.state.services
    with Session(services.engine) as session:
        part = build_bundle(session, services, start=1, end=4)
        subject = build_bundle(session, services, subject="key:2")
    return part, subject, services.audit.verifier_key


def _with_meta(files: Files, **changes: Any) -> Files:
    meta = json.loads(files["bundle.json"])
    return {**files, "bundle.json": json.dumps({**meta, **changes}).encode()}


def test_bundles_state_version_2_and_version_1_bundles_still_verify(
    bundles: tuple[Files, Files, str],
) -> None:
    part, subject, key = bundles
    meta = json.loads(subject["bundle.json"])
    assert meta["format"] == FORMAT == "govern-audit-bundle/2"
    assert meta["selection"] == {"subject": "key:2", "subjects": ["key:2"]}
    assert json.loads(part["bundle.json"])["selection"] == {"from": 1, "to": 4}
    assert verify_bundle(subject, key) and verify_bundle(part, key)
    # Version 1, as it was written before: the same range, or the subject alone.
    assert verify_bundle(_with_meta(part, format=FORMAT_V1), key)
    old = _with_meta(subject, format=FORMAT_V1, selection={"subject": "key:2"})
    assert "'key:2'" in verify_bundle(old, key)[2]
    with pytest.raises(BundleError, match="about 'key:2', not a selected subject"):
        verify_bundle(_with_meta(old, selection={"subject": "key:3"}), key)
    # Each version's own shape only.
    with pytest.raises(BundleError, match=r"neither a range nor a subject of .*bundle/1"):
        verify_bundle(_with_meta(subject, format=FORMAT_V1), key)
    with pytest.raises(BundleError, match=r"neither a range nor a subject of .*bundle/2"):
        verify_bundle(_with_meta(subject, selection={"subject": "key:2"}), key)


@pytest.mark.parametrize("stated", ["govern-audit-bundle/3", "other/1", None, 2])
def test_a_format_this_verifier_does_not_read_is_named(
    bundles: tuple[Files, Files, str], stated: object
) -> None:
    _, subject, key = bundles
    with pytest.raises(BundleError, match=f"format {stated!r} is not one this verifier reads"):
        verify_bundle(_with_meta(subject, format=stated), key)


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ({"subject": "key:2", "subjects": "key:2"}, "subjects must list strings"),
        ({"subject": "key:2", "subjects": []}, "subjects must list strings"),
        ({"subject": "key:2", "subjects": ["key:3", "key:2"]}, "asked for first"),
        ({"subject": "key:2", "subjects": ["key:2", 3]}, "subjects must list strings"),
        ({"subject": "key:2", "subjects": ["key:2", "key:2"]}, "a subject twice"),
        ({"subject": ["key:2"], "subjects": [["key:2"]]}, "neither a range nor a subject"),
        ({"subject": "key:2", "subjects": ["key:2"], "from": 0}, "neither a range"),
        ({"from": "1", "to": 4}, "whole numbers"),
        ({"from": True, "to": 4}, "whole numbers"),
        ({"from": 4, "to": 1}, "whole numbers"),
        ({"from": 1, "to": 10**18}, "not the range"),
        ({"from": 0, "to": 3}, "not the range"),
        ([1, 4], "no selection"),
    ],
)
def test_a_malformed_selection_is_named(
    bundles: tuple[Files, Files, str], selection: object, expected: str
) -> None:
    part, _, key = bundles
    with pytest.raises(BundleError, match=f"bundle.json: .*{expected}"):
        verify_bundle(_with_meta(part, selection=selection), key)


def test_selections_read_back_as_written() -> None:
    for selection in (
        RangeSelection(3, 9),
        SubjectSelection("work:1", ("work:1", "call:4", "call:9")),
        SubjectSelection("key:2", ("key:2",)),
    ):
        assert parse_selection(FORMAT, selection.as_json()) == selection
    assert parse_selection(FORMAT_V1, {"subject": "work:1"}) == SubjectSelection(
        "work:1", ("work:1",)
    )
    RangeSelection(2, 2).check_indexes([])
    RangeSelection(2, 5).check_indexes([2, 3, 4])
    for indexes in ([2, 3], [3, 4, 5], [2], [1, 2, 3, 4]):
        with pytest.raises(MetaError):
            RangeSelection(2, 5).check_indexes(indexes)
