"""Offline audit bundles: what `govern audit export` and `GET /v1/audit/export` write.

checkpoint              the signed note (C2SP checkpoint) the bundle is checked against
entries.jsonl           line i: exactly the leaf bytes of the i-th selected entry
bundle.json             origin, tree size, root, the selection and each line's index
proofs/inclusion.jsonl  per line, its inclusion proof (when the bundle is not the whole log)
proofs/consistency.json proofs that earlier tree sizes are prefixes of this one
public-key.txt          the verifier key (C2SP signed-note), public-key.pem the same key
README.md               how to verify all of it by hand

Entries are read CHUNK at a time and written line by line, proofs come from the stored
subtrees (one lookup per chunk), and a zip is filled from the written folder file by
file: memory stays bounded whatever the log's size.
"""

import json
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlalchemy import func
from sqlmodel import Session, col, select

from governance.audit import log
from governance.audit.merkle import inclusion_ranges, range_hash, range_nodes
from governance.audit.models import AuditEntry, AuditNode
from governance.audit.notes import b64
from governance.audit.service import READERS, public_key
from governance.audit.verify_bundle import FORMAT, read_bundle
from governance.auth.service import Principal, require_role
from governance.errors import InvalidInput, TreeSizeNotFound
from governance.services import Services

README = (Path(__file__).parent / "bundle_readme.md").read_text()
CHUNK = 4096


@dataclass(frozen=True)
class _Plan:
    """What an export will contain, settled (and refused) before anything is written."""

    note: str
    size: int
    selection: dict[str, object]
    olds: list[int]

    @property
    def whole_log(self) -> bool:
        return self.selection == {"from": 0, "to": self.size}


def _plan(
    session: Session,
    services: Services,
    start: int | None,
    end: int | None,
    subject: str | None,
    since: Sequence[int],
) -> _Plan:
    note, size = log.newest_note(session, services.audit)
    if subject is not None:
        if start is not None or end is not None:
            raise InvalidInput("export either a range (--from/--to) or a subject, not both")
        selection: dict[str, object] = {"subject": subject}
    else:
        start, end = start or 0, size if end is None else end
        if end > size:
            raise TreeSizeNotFound(
                f"the log's newest checkpoint has size {size}; a range needs "
                f"0 <= from <= to <= {size}"
            )
        if not 0 <= start <= end:
            raise InvalidInput(f"the range must satisfy 0 <= from <= to <= {size}")
        selection = {"from": start, "to": end}
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
    """The selected (index, entry bytes), CHUNK at a time, by keyset (no open cursor)."""
    after = -1
    while True:
        query = select(AuditEntry.idx, AuditEntry.entry).where(
            col(AuditEntry.idx) > after, col(AuditEntry.idx) < plan.size
        )
        if "subject" in plan.selection:
            query = query.where(AuditEntry.subject == plan.selection["subject"])
        else:
            low, high = plan.selection["from"], plan.selection["to"]
            query = query.where(col(AuditEntry.idx) >= low, col(AuditEntry.idx) < high)
        rows = list(session.exec(query.order_by(col(AuditEntry.idx)).limit(CHUNK)))
        if not rows:
            return
        yield rows
        after = rows[-1][0]


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
        "selection": plan.selection,
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
