"""The near-copy index: loaded in bulk at start-up before the service is healthy, grown
as works are registered (also by another process), rows that commit late picked up, and
works without a record matched by their hashes until `govern works reindex`."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import delete, insert
from sqlmodel import Session, select

import rights.nearcopy_index as nearcopy_index
from governance.db import read_only
from governance.works.reindex import reindex_works
from rights.models import RightsHolder, Work, WorkNearCopy
from rights.nearcopy import describe_work
from rights.nearcopy_index import StoredNearCopyIndex
from tests.support.helpers import auth, encode, match, photo, png_bytes, register
from tests.support.service_fixture import Service, make_service


def _turned(name: str) -> bytes:
    return encode(photo(name).transpose(Image.Transpose.ROTATE_90), "JPEG", quality=85)


def test_start_up_loads_the_index_then_it_grows(
    service: Service, database_url: str, tmp_path: Path
) -> None:
    ids = [
        register(service.client, service.keys["alice"], png_bytes(name)).json()["id"]
        for name in ("astronaut", "coffee")
    ]
    other = make_service(database_url, tmp_path / "other")
    services = other.app.state.services
    assert not services.near_copy_index.loaded
    # The app's start-up (lifespan) loads before the first request is served.
    with TestClient(other.app) as client:
        assert services.near_copy_index.loaded and len(services.near_copy_index) == 2
        assert client.get("/healthz").json() == {"status": "ok"}
        found = match(client, other.keys["regulator"], _turned("coffee")).json()["matches"]
        assert [m["work_id"] for m in found] == [ids[1]]
        # A work registered by the first process is found by the second.
        third = register(service.client, service.keys["bob"], png_bytes("chelsea")).json()["id"]
        found = match(client, other.keys["regulator"], _turned("chelsea")).json()["matches"]
        assert [m["work_id"] for m in found] == [third]
        assert len(services.near_copy_index) == 3
    services.engine.dispose()


def test_healthz_loads_the_index_where_start_up_was_skipped(service: Service) -> None:
    register(service.client, service.keys["alice"], png_bytes("rocket"))
    fresh = make_service(service.settings.database_url, service.settings.data_dir.parent / "b")
    services = fresh.app.state.services
    assert not services.near_copy_index.loaded
    assert fresh.client.get("/healthz").status_code == 200
    assert services.near_copy_index.loaded and len(services.near_copy_index) == 1
    services.engine.dispose()


def _rows(service: Service) -> list[dict[str, object]]:
    """Five works' rows with the records of three photographs."""
    records = [describe_work(photo(n)) for n in ("astronaut", "coffee", "chelsea")]
    with Session(service.app.state.services.engine) as session:
        holder = session.exec(select(RightsHolder)).first()
        assert holder is not None and holder.id is not None
        for i in range(5):
            session.add(
                Work(
                    holder_id=holder.id,
                    title="w",
                    creator="c",
                    license="MIT",
                    sha256=f"{i:064x}",
                    pixel_sha256=f"{i:064x}",
                    media_type="image/png",
                    width=512,
                    height=512,
                    byte_size=1,
                )
            )
        session.commit()
        work_ids = sorted(w.id for w in session.exec(select(Work)) if w.id is not None)
    return [
        {
            "id": i + 1,
            "work_id": work_ids[i],
            "vocabulary_id": records[0].vocabulary_id.hex(),
            "postings": records[i % 3].postings().to_bytes(),
            "record": records[i % 3].to_bytes(),
            "analysis_sha256": "0" * 64,
            "analysis_width": 8,
            "analysis_height": 8,
        }
        for i in range(5)
    ]


def test_bulk_load_in_batches_and_rows_that_commit_late(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nearcopy_index, "LOAD_BATCH", 2)
    rows = _rows(service)
    engine = service.app.state.services.engine
    with Session(engine) as session:
        # Row 3 is "in flight" (on PostgreSQL: an id handed out, not yet committed).
        session.execute(insert(WorkNearCopy), [r for r in rows if r["id"] != 3])
        session.commit()
    index = StoredNearCopyIndex()
    with Session(read_only(engine)) as session:
        assert index.refresh(session) == 4 and index.loaded and len(index) == 4
        assert index.refresh(session) == 0
    with Session(engine) as session:
        session.execute(insert(WorkNearCopy), [rows[2]])
        session.commit()
    with Session(read_only(engine)) as session:
        # Below the last id seen, and still found: the gap was remembered.
        assert index.refresh(session) == 1 and len(index) == 5
        records = index.records(session, [int(rows[2]["work_id"])])  # type: ignore[call-overload]
    assert list(records) == [rows[2]["work_id"]]

    def found(name: str) -> list[int]:
        turned = photo(name).transpose(Image.Transpose.ROTATE_180)
        with Session(read_only(engine)) as session:
            return sorted(
                m.work_id for m in index.index.search(turned, lambda i: index.records(session, i))
            )

    # Rows 1 and 4 carry the astronaut's record (loaded in separate batches), row 3 the cat's.
    assert found("astronaut") == [rows[0]["work_id"], rows[3]["work_id"]]
    assert found("chelsea") == [rows[2]["work_id"]]


def test_a_work_without_a_record_is_matched_by_its_hashes_until_reindexed(
    service: Service, tmp_path: Path
) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("astronaut")).json()
    engine = service.app.state.services.engine
    with Session(engine) as session:
        # As a work registered before near copies: no record.
        session.execute(delete(WorkNearCopy))
        session.commit()
    old = make_service(service.settings.database_url, tmp_path / "old")
    regulator = old.keys["regulator"]
    got = old.client.get(f"/v1/works/{work['id']}", headers=auth(old.keys["alice"])).json()
    assert got["near_copy_indexed"] is False
    [found] = match(old.client, regulator, encode(photo("astronaut"), "JPEG")).json()["matches"]
    assert (found["work_id"], found["method"], found["transform"]) == (work["id"], "hash", None)
    assert match(old.client, regulator, _turned("astronaut")).json()["matches"] == []
    # Run where the files are (one data dir per deployment; here, the first service's).
    report = reindex_works(service.app.state.services)
    assert report.described == [work["id"]] and report.failed == []
    [turned] = match(old.client, regulator, _turned("astronaut")).json()["matches"]
    assert turned["work_id"] == work["id"] and turned["method"] == "local_features"
    assert reindex_works(service.app.state.services).described == []
    old.app.state.services.engine.dispose()
