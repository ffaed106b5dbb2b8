"""`audit check`, export and verify read the log in chunks: every chunk boundary (sizes
2^k - 1, 2^k, 2^k + 1 around the chunk size) gives the in-memory answers, tampering in
any chunk is still found, and memory does not grow with the log."""

import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session

from bench.bench_audit_check import fill
from governance.audit import bundle as bundle_module
from governance.audit import check as check_module
from governance.audit.bundle import build_bundle, export_to
from governance.audit.check import check_log
from governance.audit.merkle import MemoryTree, leaf_hash
from governance.audit.notes import b64
from governance.audit.verify_bundle import BundleError, open_bundle, verify_bundle
from governance.db import unit_of_work
from governance.services import Services, build_services
from governance.settings import Settings
from tests.support.audit_helpers import tamper
from tests.support.service_fixture import KEYS, Service

CHUNK = 8


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_module, "CHUNK", CHUNK)
    monkeypatch.setattr(bundle_module, "CHUNK", 3)


def _grow(service: Service, size: int) -> Services:
    """Append until the log has `size` entries, 1 to 3 per transaction (one checkpoint each)."""
    services: Services = service.app.state.services
    done = len(KEYS)
    while done < size:
        with unit_of_work(services.engine) as session:
            for _ in range(min(1 + done % 3, size - done)):
                services.audit.append(session, "test.bulk", f"work:{done % 4}", "test", {"i": done})
                done += 1
    return services


def _leaves(services: Services) -> MemoryTree:
    with Session(services.engine) as session:
        rows = session.connection().exec_driver_sql("SELECT entry FROM audit_entries ORDER BY idx")
        return MemoryTree([leaf_hash(bytes(r[0])) for r in rows])


@pytest.mark.parametrize("size", [15, 16, 17, 31, 32, 33])
def test_chunk_boundaries_check_clean_and_find_tampering(
    service: Service, small_chunks: None, size: int
) -> None:
    services = _grow(service, size)
    with Session(services.engine) as session:
        assert check_log(session, services.audit) == (size, [])
    # The last entry of the first chunk, a subtree completed in the second chunk, and a
    # stored subtree hash past the end.
    tamper(
        service,
        f"DELETE FROM audit_nodes WHERE level = 3 AND idx = {(size >> 3) - 1}",
        f"INSERT INTO audit_nodes (level, idx, hash) VALUES (2, {size}, X'00')"
        if services.engine.dialect.name == "sqlite"
        else f"INSERT INTO audit_nodes (level, idx, hash) VALUES (2, {size}, '\\x00'::bytea)",
    )
    with Session(services.engine) as session:
        total, problems = check_log(session, services.audit)
    assert total == size
    assert f"subtree hash (level 3) {(size >> 3) - 1} does not match the entries" in problems
    assert f"stored subtree hash (2, {size}) covers entries that do not exist" in problems


@pytest.mark.parametrize("gap", [CHUNK - 1, CHUNK, 2 * CHUNK - 1, 2 * CHUNK])
def test_a_gap_at_a_chunk_edge_is_found(service: Service, small_chunks: None, gap: int) -> None:
    services = _grow(service, 2 * CHUNK + 3)
    tamper(
        service,
        f"DELETE FROM audit_entries WHERE idx = {gap}",
        "UPDATE audit_entries SET subject = 'work:999' WHERE idx = 3",  # another problem
    )
    with Session(services.engine) as session:
        total, problems = check_log(session, services.audit)
    assert total == gap
    assert f"entry {gap} is missing (next row has index {gap + 1})" in problems
    assert any(p.startswith("entry 3: its kind, subject") for p in problems)
    assert any("rows deleted or entries cut off" in p for p in problems)


@pytest.mark.parametrize("selection", [{}, {"start": 2, "end": 19}, {"subject": "work:1"}])
def test_streamed_exports_match_the_tree_and_verify(
    service: Service, small_chunks: None, tmp_path: Path, selection: dict
) -> None:
    services = _grow(service, 23)
    tree = _leaves(services)
    with Session(services.engine) as session:
        files = build_bundle(session, services, since=[5], **selection)
        count = export_to(session, services, tmp_path / "b.zip", since=[5], **selection)
    meta = json.loads(files["bundle.json"])
    assert meta["root_hash"] == b64(tree.root(23)) and len(meta["indexes"]) == count
    if selection:
        proofs = [json.loads(line) for line in files["proofs/inclusion.jsonl"].splitlines()]
        assert [p["index"] for p in proofs] == meta["indexes"]
        for p in proofs:
            assert p["proof"] == [b64(h) for h in tree.inclusion_proof(p["index"], 23)]
    else:
        assert meta["indexes"] == list(range(23)) and "proofs/inclusion.jsonl" not in files
    consistency = json.loads(files["proofs/consistency.json"])
    assert consistency[0]["from_root"] == b64(tree.root(5))
    with open_bundle(tmp_path / "b.zip") as opened:
        assert verify_bundle(opened, services.audit.verifier_key)
    with zipfile.ZipFile(tmp_path / "b.zip") as archive:
        assert archive.read("entries.jsonl") == files["entries.jsonl"]


def test_a_subject_list_reads_the_same_by_query_and_by_scan(
    service: Service, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A work's export selects its subjects by `IN` lists, or, past PER_QUERY of them,
    by reading the log's subject column: the same bundle either way."""
    services = _grow(service, 35)
    subjects = ["work:1", "work:3", "key:2"]
    monkeypatch.setattr(bundle_module, "subjects_for_export", lambda _session, _s: subjects)
    built = {}
    for per_query in (1, 2, 500):  # scanned, scanned in batches, one query
        monkeypatch.setattr(bundle_module, "PER_QUERY", per_query)
        with Session(services.engine) as session:
            built[per_query] = build_bundle(session, services, subject="work:1")
    assert built[1] == built[2] == built[500]
    with Session(services.engine) as session:
        rows = session.connection().exec_driver_sql("SELECT idx, subject FROM audit_entries")
        expected = sorted(idx for idx, subject in rows if subject in subjects)
    meta = json.loads(built[1]["bundle.json"])
    assert meta["indexes"] == expected and len(expected) > 3 * 3  # several chunks of 3
    assert meta["selection"] == {"subject": "work:1", "subjects": subjects}
    assert verify_bundle(built[1], services.audit.verifier_key)


def test_a_wrong_prefix_root_or_extra_proof_fails_when_streamed(
    service: Service, small_chunks: None
) -> None:
    services = _grow(service, 20)
    with Session(services.engine) as session:
        whole = build_bundle(session, services, since=[7])
        part = build_bundle(session, services, start=3, end=9)
    consistency = json.loads(whole["proofs/consistency.json"])
    consistency[0]["from_root"] = b64(_leaves(services).root(8))
    with pytest.raises(BundleError, match="size 7 is not a prefix"):
        verify_bundle(
            {**whole, "proofs/consistency.json": json.dumps(consistency).encode()},
            services.audit.verifier_key,
        )
    padded = part["proofs/inclusion.jsonl"] * 2
    with pytest.raises(BundleError, match="more proofs"):
        verify_bundle({**part, "proofs/inclusion.jsonl": padded}, services.audit.verifier_key)
    with pytest.raises(BundleError, match="truncated or padded"):
        verify_bundle(
            {**part, "entries.jsonl": part["entries.jsonl"] * 2}, services.audit.verifier_key
        )


def _peak(services: Services, run) -> int:
    with Session(services.engine) as session:
        tracemalloc.start()
        try:
            run(session)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_memory_does_not_grow_with_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Python memory of check, export and verify at 2,048 and 16,384 entries: an
    in-memory pass takes 8 times more at the larger size, a streamed one about the same."""
    monkeypatch.setattr(check_module, "CHUNK", 512)
    monkeypatch.setattr(bundle_module, "CHUNK", 512)
    peaks: dict[str, list[int]] = {"check": [], "export": [], "verify": [], "by subjects": []}
    # More subjects than one query names, so the subject column is scanned (a work with
    # hundreds of calls); the bench fill's subjects are work:0 to work:4999.
    many = [f"work:{i}" for i in range(bundle_module.PER_QUERY + 100)]
    monkeypatch.setattr(bundle_module, "subjects_for_export", lambda _session, _s: many)
    for size in (2048, 16384):
        services = build_services(Settings(data_dir=tmp_path / str(size)))
        fill(services, size)
        out = tmp_path / f"{size}.zip"

        def check(session: Session, services: Services = services, size: int = size) -> None:
            assert check_log(session, services.audit) == (size, [])

        def export(session: Session, services: Services = services, out: Path = out) -> None:
            export_to(session, services, out)

        def verify(_: Session, services: Services = services, out: Path = out) -> None:
            with open_bundle(out) as opened:
                verify_bundle(opened, services.audit.verifier_key)

        peaks["check"].append(_peak(services, check))
        peaks["export"].append(_peak(services, export))
        peaks["verify"].append(_peak(services, verify))

        def by_subjects(session: Session, services: Services = services, out: Path = out) -> None:
            export_to(session, services, out.with_suffix(".subjects.zip"), subject="work:0")

        peaks["by subjects"].append(_peak(services, by_subjects))
        services.engine.dispose()
    for name, (small, large) in peaks.items():
        # bundle.json's index list (a few bytes an entry) is the one part that grows.
        assert large < 2 * small + 2_000_000, (name, small, large)


def test_a_zip_damaged_inside_a_member_is_a_bundle_error(
    service: Service, small_chunks: None, tmp_path: Path
) -> None:
    services = _grow(service, 40)
    out = tmp_path / "b.zip"
    with Session(services.engine) as session:
        export_to(session, services, out)
    with zipfile.ZipFile(out) as archive:
        member = archive.getinfo("entries.jsonl")
    data = bytearray(out.read_bytes())
    # Past the local header: the member's compressed bytes, which only reading touches.
    middle = member.header_offset + 30 + len(member.filename) + member.compress_size // 2
    data[middle] ^= 0xFF
    out.write_bytes(bytes(data))
    with pytest.raises(BundleError), open_bundle(out) as opened:
        verify_bundle(opened, services.audit.verifier_key)
