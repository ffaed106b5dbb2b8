"""Every kind of audit entry has a versioned schema, and stored entries parse back into it."""

import io
import json
from typing import Any

import pytest
import rfc8785
from PIL import Image
from sqlmodel import Session, col, select

from governance.audit.entries import (
    ENTRY_KINDS,
    CallRecorded,
    KeyCreated,
    KeyRevoked,
    OutputLabelled,
    UnreadableEntry,
    WorkRegistered,
    parse_entry,
    parse_entry_as,
)
from governance.audit.log import read_entry
from governance.audit.models import AuditEntry
from governance.auth.service import revoke_key
from governance.db import unit_of_work
from governance.reports.consumer import run_pending
from tests.detectors.helpers import calibrated_toy_detector
from tests.reports.helpers import restoration, restorer
from tests.reviews.support import decide
from tests.support.helpers import auth, encode, png_bytes, register
from tests.support.label_helpers import generated, generator
from tests.support.service_fixture import Service


def _fill_the_log(service: Service) -> dict[str, int]:
    """One entry of every kind, made the way the service makes them."""
    work = register(service.client, service.keys["alice"], png_bytes("coffee"))
    assert work.status_code == 201, work.text
    changed = service.client.put(
        f"/v1/works/{work.json()['id']}/terms",
        headers=auth(service.keys["alice"]),
        json={"terms": {"ai_training": "allowed"}},
    )
    assert changed.status_code == 200, changed.text
    model = generator(service)
    call = generated(service, model)
    # The same weights under another name, released from the first one's clearance.
    twin = generator(service, "photo-generator again")
    released = service.client.post(
        f"/v1/models/{twin}/twins/{model}/release",
        headers=auth(service.keys["admin"]),
        json={"reason": "the same weights, relicensed"},
    )
    assert released.status_code == 200, released.text
    retired = service.client.post(
        f"/v1/models/{twin}/retire",
        headers=auth(service.keys["admin"]),
        json={"reason": "superseded"},
    )
    assert retired.status_code == 200, retired.text
    # bob claims a grey copy of alice's work: disputed, then resolved by an admin.
    grey = encode(Image.open(io.BytesIO(png_bytes("coffee"))).convert("L").convert("RGB"))
    claim = register(service.client, service.keys["bob"], grey)
    assert claim.status_code == 201 and claim.json()["status"] == "disputed", claim.text
    resolved = service.client.post(
        f"/v1/works/{claim.json()['id']}/dispute",
        headers=auth(service.keys["admin"]),
        json={"resolution": "rejected", "comment": "alice's work, registered first"},
    )
    assert resolved.status_code == 200, resolved.text
    calibrated_toy_detector(service)
    services = service.app.state.services
    # A restoration whose report is made by its job (report.ready), then approved by a
    # conservator (review.decided), which signs it again (a second output.labelled). The
    # generation above has its report (what it resembles) made by the same run.
    restored = restoration(service, restorer(service))
    assert run_pending(services, timeout=120).ready == [call["id"], restored["id"]]
    approved = decide(service, service.keys["conservator"], restored["id"], comment="ok")
    assert approved.status_code == 201, approved.text
    with unit_of_work(services.engine) as session:
        revoke_key(session, services.audit, 2)
    return {"work": work.json()["id"], "call": call["id"]}


def _stored(service: Service) -> list[bytes]:
    with Session(service.app.state.services.engine) as session:
        rows = session.exec(select(AuditEntry).order_by(col(AuditEntry.idx))).all()
        return [row.entry for row in rows]


def test_every_kind_is_read_back_as_its_model_and_written_again_unchanged(
    service: Service,
) -> None:
    made = _fill_the_log(service)
    stored = _stored(service)
    parsed = [parse_entry(raw) for raw in stored]
    assert {entry.kind for entry in parsed} == set(ENTRY_KINDS)
    for raw, entry in zip(stored, parsed, strict=True):
        assert type(entry.data) is ENTRY_KINDS[entry.kind]
        # The model holds every stored key and value: dumping it gives the data back.
        signed = json.loads(raw)
        assert entry.data.data() == {"schema_version": 1, **signed["data"]}
        assert (entry.index, entry.subject, entry.actor) == (
            signed["index"],
            signed["subject"],
            signed["actor"],
        )
    # The first of each kind: alice's work was registered before bob's claim.
    by_kind: dict[str, Any] = {}
    for entry in parsed:
        by_kind.setdefault(entry.kind, entry)
    registered = by_kind["work.registered"].data
    assert isinstance(registered, WorkRegistered) and registered.work.id == made["work"]
    call = by_kind["call.recorded"].data
    assert isinstance(call, CallRecorded) and call.call_id == made["call"]
    assert call.status == "released" and call.stages[0].name == "authenticate"
    label = by_kind["output.labelled"].data
    assert isinstance(label, OutputLabelled) and label.call_id == made["call"]
    assert label.software_agent.name == "photo-generator"
    revoked = by_kind["key.revoked"]
    assert revoked.subject == "key:2" and revoked.data == KeyRevoked(name="bob")


def test_the_typed_append_and_reader_round_trip_every_kind(service: Service) -> None:
    _fill_the_log(service)
    examples = {entry.kind: entry for entry in (parse_entry(raw) for raw in _stored(service))}
    services = service.app.state.services
    written: dict[str, int] = {}
    with unit_of_work(services.engine) as session:
        for kind, example in examples.items():
            row = services.audit.record(session, example.subject, "test", example.data)
            assert row.kind == kind
            written[kind] = row.idx
            again = read_entry(session, row.idx, type(example.data))
            assert again is not None
            assert again.data == example.data and again.kind == kind and again.actor == "test"
            assert json.loads(row.entry)["data"]["schema_version"] == 1
        assert read_entry(session, 10_000, KeyCreated) is None
        with pytest.raises(UnreadableEntry, match=r"not 'key\.created'"):
            read_entry(session, written["work.registered"], KeyCreated)


def _versions(service: Service) -> dict[str, set[Any]]:
    versions: dict[str, set[Any]] = {}
    for raw in _stored(service):
        signed = json.loads(raw)
        versions.setdefault(signed["kind"], set()).add(signed["data"].get("schema_version"))
    return versions


def test_stored_entries_state_their_schema_version(service: Service) -> None:
    _fill_the_log(service)
    versions = _versions(service)
    assert set(versions) == set(ENTRY_KINDS)
    for kind in ENTRY_KINDS:
        assert versions[kind] == {1}, kind


def _raw(data: dict[str, Any], kind: str = "key.created") -> bytes:
    envelope = {
        "index": 0,
        "kind": kind,
        "subject": "key:1",
        "actor": "cli",
        "at": "2026-01-31T12:00:00Z",
        "data": data,
    }
    return rfc8785.dumps(envelope)


def test_an_entry_that_does_not_follow_its_schema_is_unreadable() -> None:
    good = KeyCreated(name="Rijksmuseum", role="rights_holder", holder_id=1).data()
    assert parse_entry(_raw(good)).data == KeyCreated(
        name="Rijksmuseum", role="rights_holder", holder_id=1
    )
    missing = {k: v for k, v in good.items() if k != "holder_id"}
    later = {**good, "schema_version": 2}
    extra = {**good, "note": "not in the schema"}
    as_text = {**good, "holder_id": "1"}  # a number stored as text is not the schema's
    for data in (missing, later, extra, as_text):
        with pytest.raises(UnreadableEntry, match=r"key\.created schema"):
            parse_entry(_raw(data))
    with pytest.raises(UnreadableEntry, match="no schema is known"):
        parse_entry(_raw(good, kind="key.lost"))
    with pytest.raises(UnreadableEntry, match="not a JSON object"):
        parse_entry(b"[1, 2]")
    with pytest.raises(UnreadableEntry, match=r"not 'key\.revoked'"):
        parse_entry_as(_raw(good), KeyRevoked)


def test_an_entry_from_before_versions_reads_as_version_1() -> None:
    before = {"name": "Audit office", "role": "auditor", "holder_id": None}
    entry = parse_entry_as(_raw(before), KeyCreated)
    assert entry.data.schema_version == 1
    assert entry.data.data() == {**before, "schema_version": 1}
