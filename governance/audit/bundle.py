"""Offline audit bundles: what `govern audit export` and `GET /v1/audit/export` write.

checkpoint              the signed note (C2SP checkpoint) the bundle is checked against
entries.jsonl           line i: exactly the leaf bytes of the i-th selected entry
bundle.json             origin, tree size, root, the selection and each line's index
proofs/inclusion.jsonl  per line, its inclusion proof (when the bundle is not the whole log)
proofs/consistency.json proofs that earlier tree sizes are prefixes of this one
public-key.txt          the verifier key (C2SP signed-note), public-key.pem the same key
README.md               how to verify all of it by hand
"""

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session, col, select

from governance.audit import log
from governance.audit.merkle import MemoryTree
from governance.audit.models import AuditEntry, AuditNode
from governance.audit.notes import b64
from governance.audit.service import READERS, public_key
from governance.audit.verify_bundle import FORMAT
from governance.auth.service import Principal, require_role
from governance.errors import InvalidInput, TreeSizeNotFound
from governance.services import Services

README = (Path(__file__).parent / "bundle_readme.md").read_text()


def build_bundle(
    session: Session,
    services: Services,
    start: int | None = None,
    end: int | None = None,
    subject: str | None = None,
    since: Sequence[int] = (),
) -> dict[str, bytes]:
    note, size = log.newest_note(session, services.audit)
    query = select(AuditEntry).where(col(AuditEntry.idx) < size)
    if subject is not None:
        if start is not None or end is not None:
            raise InvalidInput("export either a range (--from/--to) or a subject, not both")
        query = query.where(AuditEntry.subject == subject)
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
        query = query.where(col(AuditEntry.idx) >= start, col(AuditEntry.idx) < end)
        selection = {"from": start, "to": end}
    rows = list(session.exec(query.order_by(col(AuditEntry.idx))))
    tree = _tree(session, size)
    indexes = [r.idx for r in rows]
    files: dict[str, bytes] = {
        "checkpoint": note.encode(),
        "entries.jsonl": b"".join(r.entry + b"\n" for r in rows),
    }
    if indexes != list(range(size)):
        files["proofs/inclusion.jsonl"] = "".join(
            json.dumps({"index": i, "proof": [b64(h) for h in tree.inclusion_proof(i, size)]})
            + "\n"
            for i in indexes
        ).encode()
    olds = sorted({*since, *([end] if subject is None and end and end < size else [])})
    if any(not 0 <= old <= size for old in olds):
        raise InvalidInput(f"consistency proofs need sizes between 0 and {size}")
    files["proofs/consistency.json"] = json.dumps(
        [
            {
                "from": old,
                "to": size,
                "from_root": b64(tree.root(old)),
                "proof": [b64(h) for h in tree.consistency_proof(old, size)],
            }
            for old in olds
        ],
        indent=1,
    ).encode()
    key = public_key(services)
    files["bundle.json"] = json.dumps(
        {
            "format": FORMAT,
            "origin": services.audit.origin,
            "tree_size": size,
            "root_hash": b64(tree.root(size)),
            "selection": selection,
            "indexes": indexes,
            "consistency_from": olds,
        },
        indent=1,
    ).encode()
    files["public-key.txt"] = (key.verifier_key + "\n").encode()
    files["public-key.pem"] = key.public_key_pem.encode()
    files["README.md"] = README.encode()
    return files


def export_zip(
    session: Session,
    services: Services,
    principal: Principal,
    start: int | None,
    end: int | None,
    subject: str | None,
) -> bytes:
    require_role(principal, *READERS)
    return zip_bundle(build_bundle(session, services, start, end, subject))


def _tree(session: Session, size: int) -> MemoryTree:
    query = select(AuditNode.hash).where(AuditNode.level == 0, col(AuditNode.idx) < size)
    leaves = list(session.exec(query.order_by(col(AuditNode.idx))))
    if len(leaves) != size:
        raise InvalidInput(
            f"the log's leaf hashes are incomplete ({len(leaves)} of {size}); "
            "run `govern audit check`"
        )
    return MemoryTree(leaves)


def write_bundle(files: dict[str, bytes], out: Path) -> Path:
    """A folder, or a .zip when `out` ends so."""
    if out.suffix.lower() == ".zip":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(zip_bundle(files))
        return out
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    return out


def zip_bundle(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    return buffer.getvalue()
