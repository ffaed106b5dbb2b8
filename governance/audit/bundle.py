"""Offline audit bundles: what `govern audit export` and `GET /v1/audit/export` write.

checkpoint              the signed note (C2SP checkpoint) the bundle is checked against
entries.jsonl           line i: exactly the leaf bytes of the i-th selected entry
bundle.json             format, origin, tree size, root, the selection (bundle_format.py)
                        and each line's index
proofs/inclusion.jsonl  per line, its inclusion proof (when the bundle is not the whole log)
proofs/consistency.json proofs that earlier tree sizes are prefixes of this one
public-key.txt          the verifier key (C2SP signed-note), public-key.pem the same key
README.md               how to verify all of it by hand

Entries are read CHUNK at a time and written line by line, proofs come from the stored
subtrees (one lookup per chunk), and a zip is filled from the written folder file by
file: memory stays bounded whatever the log's size. An export by `work:N` selects the
work's entries and those of every call whose input matched it (`related.py`).
"""

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from governance.audit import log
from governance.audit.bundle_format import FORMAT, RangeSelection, Selection, SubjectSelection
from governance.audit.merkle import inclusion_ranges, range_hash, range_nodes
from governance.audit.models import AuditEntry, AuditNode
from governance.audit.notes import b64
from governance.audit.related import subjects_for_export
from governance.audit.service import READERS, public_key
from governance.audit.verify_bundle import read_bundle
from governance.auth.service import Principal, require_role
from governance.errors import InvalidInput, TreeSizeNotFound
from governance.services import Services

README = (Path(__file__).parent / "bundle_readme.md").read_text()
CHUNK = 4096
# Values per `IN (...)` list, far below SQLite's and PostgreSQL's limits on bound
# parameters; a selection of more subjects than this reads the log's subject column.
PER_QUERY = 500


@dataclass(frozen=True)
class _Plan:
    """What an export will contain, settled (and refused) before anything is written."""

    note: str
    size: int
    selection: Selection
    olds: list[int]

    @property
    def whole_log(self) -> bool:
        return self.selection == RangeSelection(0, self.size)


def _plan(
    session: Session,
    services: Services,
    start: int | None,
    end: int | None,
    subject: str | None,
    since: Sequence[int],
) -> _Plan:
    selection: Selection
    if subject is not None:
        if start is not None or end is not None:
            raise InvalidInput("export either a range (--from/--to) or a subject, not both")
        # Before the checkpoint is read: every call found then has its entries in it.
        selection = SubjectSelection(subject, tuple(subjects_for_export(session, subject)))
    note, size = log.newest_note(session, services.audit)
    if subject is None:
        start, end = start or 0, size if end is None else end
        if end > size:
            raise TreeSizeNotFound(
                f"the log's newest checkpoint has size {size}; a range needs "
                f"0 <= from <= to <= {size}"
            )
        if not 0 <= start <= end:
            raise InvalidInput(f"the range must satisfy 0 <= from <= to <= {size}")
        selection = RangeSelection(start, end)
    olds = sorted({*since, *([end] if subject is None and end and end < size else [])})
    if any(not 0 <= old <= size for old in olds):
        raise InvalidInput(f"consistency proofs need sizes between 0 and {size}")
    leaves = session.exec(
        select(func.count())
        .select_from(AuditNode)
        .where(AuditNode.level == 0, col(AuditNode.idx) < size)
    ).one()
    if leaves != size:
        raise InvalidInput(
            f"the log's leaf hashes are incomplete ({leaves} of {size}); run `govern audit check`"
        )
    return _Plan(note, size, selection, olds)


def _rows(session: Session, plan: _Plan) -> Iterator[list[tuple[int, bytes]]]:
    """The selected (index, entry bytes), in index order, CHUNK at a time."""
    selection = plan.selection
    if isinstance(selection, RangeSelection):
        yield from _keyset(
            session,
            plan.size,
            col(AuditEntry.idx) >= selection.start,
            col(AuditEntry.idx) < selection.end,
        )
    elif len(selection.subjects) <= PER_QUERY:
        yield from _keyset(session, plan.size, col(AuditEntry.subject).in_(selection.subjects))
    else:
        yield from _scanned(session, plan.size, set(selection.subjects))


def _keyset(
    session: Session, size: int, *where: ColumnElement[bool]
) -> Iterator[list[tuple[int, bytes]]]:
    """The entries below `size` that meet `where`, by keyset (no cursor held open)."""
    after = -1
    while True:
        query = select(AuditEntry.idx, AuditEntry.entry).where(
            col(AuditEntry.idx) > after, col(AuditEntry.idx) < size, *where
        )
        rows = list(session.exec(query.order_by(col(AuditEntry.idx)).limit(CHUNK)))
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _scanned(session: Session, size: int, subjects: set[str]) -> Iterator[list[tuple[int, bytes]]]:
    """The entries about `subjects`, too many to name in one query: the log's index and
    subject columns are read CHUNK rows at a time and the entries picked fetched by index.
    Time grows with the log, memory with the subjects only."""
    for start in range(0, size, CHUNK):
        end = min(size, start + CHUNK)
        window = session.exec(
            select(AuditEntry.idx, AuditEntry.subject).where(
                col(AuditEntry.idx) >= start, col(AuditEntry.idx) < end
            )
        )
        picked = sorted(idx for idx, subject in window if subject in subjects)
        rows: list[tuple[int, bytes]] = []
        for at in range(0, len(picked), PER_QUERY):
            batch = picked[at : at + PER_QUERY]
            query = select(AuditEntry.idx, AuditEntry.entry).where(col(AuditEntry.idx).in_(batch))
            rows += session.exec(query)
        if rows:
            yield sorted(rows)


def _inclusion_lines(session: Session, indexes: list[int], size: int) -> str:
    """Inclusion proofs for a chunk of indexes, from one lookup of the stored subtrees."""
    pieces = [[range_nodes(*r) for r in inclusion_ranges(i, size)] for i in indexes]
    found = log.nodes(session, sorted({n for proof in pieces for p in proof for n in p}))
    return "".join(
        json.dumps({"index": i, "proof": [b64(range_hash([found[n] for n in p])) for p in proof]})
        + "\n"
        for i, proof in zip(indexes, pieces, strict=True)
    )


def _write_folder(session: Session, services: Services, plan: _Plan, out: Path) -> int:
    (out / "proofs").mkdir(parents=True, exist_ok=True)
    count = 0
    with (
        (out / "entries.jsonl").open("wb") as entries,
        (out / "proofs/inclusion.jsonl").open("w") as proofs,
        tempfile.TemporaryFile("w+") as indexes,
    ):
        for rows in _rows(session, plan):
            chunk = [idx for idx, _ in rows]
            entries.writelines(entry + b"\n" for _, entry in rows)
            indexes.write("".join(f"{',' if count or n else ''}{i}" for n, i in enumerate(chunk)))
            count += len(rows)
            if not plan.whole_log:
                proofs.write(_inclusion_lines(session, chunk, plan.size))
        whole = count == plan.size  # a subject can select every entry too
        indexes.seek(0)
        _write_meta(session, services, plan, out, indexes)
    if whole:
        (out / "proofs/inclusion.jsonl").unlink()
    key = public_key(services)
    (out / "checkpoint").write_text(plan.note)
    (out / "public-key.txt").write_text(key.verifier_key + "\n")
    (out / "public-key.pem").write_text(key.public_key_pem)
    (out / "README.md").write_text(README)
    return count


def _write_meta(
    session: Session, services: Services, plan: _Plan, out: Path, indexes: IO[str]
) -> None:
    consistency = [
        {
            "from": old,
            "to": plan.size,
            "from_root": b64(log.root_at(session, old)),
            "proof": [b64(h) for h in log.consistency_proof(session, old, plan.size)],
        }
        for old in plan.olds
    ]
    (out / "proofs/consistency.json").write_text(json.dumps(consistency, indent=1))
    head = {
        "format": FORMAT,
        "origin": services.audit.origin,
        "tree_size": plan.size,
        "root_hash": b64(log.root_at(session, plan.size)),
        "selection": plan.selection.as_json(),
    }
    with (out / "bundle.json").open("w") as meta:
        # Written by hand so the index list streams from its scratch file.
        meta.write(json.dumps(head, indent=1)[:-2] + ',\n "indexes": [')
        shutil.copyfileobj(indexes, meta)
        meta.write(f'],\n "consistency_from": {json.dumps(plan.olds)}\n}}')


def export_to(
    session: Session,
    services: Services,
    out: Path,
    start: int | None = None,
    end: int | None = None,
    subject: str | None = None,
    since: Sequence[int] = (),
) -> int:
    """Write a bundle to a folder, or a .zip when `out` ends so; the entries written.
    A refused export writes nothing."""
    plan = _plan(session, services, start, end, subject, since)
    if out.suffix.lower() != ".zip":
        return _write_folder(session, services, plan, out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".export-") as tmp:
        count = _write_folder(session, services, plan, Path(tmp))
        partial = Path(tmp) / "bundle.zip"
        zip_folder(Path(tmp), partial)
        partial.replace(out)
    return count


def zip_folder(folder: Path, out: Path) -> None:
    """Zip a bundle folder file by file (zipfile streams each from disk)."""
    names = sorted(p for p in folder.rglob("*") if p.is_file() and p != out)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in names:
            archive.write(path, path.relative_to(folder).as_posix())


def build_bundle(
    session: Session,
    services: Services,
    start: int | None = None,
    end: int | None = None,
    subject: str | None = None,
    since: Sequence[int] = (),
) -> dict[str, bytes]:
    """A bundle's files in memory: for small extracts and tests."""
    with tempfile.TemporaryDirectory() as tmp:
        export_to(session, services, Path(tmp) / "bundle", start, end, subject, since)
        return read_bundle(Path(tmp) / "bundle")


def export_zip(
    session: Session,
    services: Services,
    principal: Principal,
    start: int | None,
    end: int | None,
    subject: str | None,
) -> bytes:
    """The zip for the HTTP endpoint, which answers with bytes."""
    require_role(principal, *READERS)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit-bundle.zip"
        export_to(session, services, out, start, end, subject)
        return out.read_bytes()


def write_bundle(files: dict[str, bytes], out: Path) -> Path:
    """Files already in memory (a downloaded zip's, say) as a folder, or a .zip when `out`
    ends so."""
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in sorted(files.items()):
                archive.writestr(name, data)
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return out
