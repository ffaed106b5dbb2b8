"""One call's evidence in one zip: what GET /v1/calls/{id}/evidence and `govern calls
evidence` write, and `govern audit verify` checks offline.

The files (names and what each is: audit/bundle_format.py):

call.json                  the call's record, as an auditor reads it
report/report.json         the report's JSON bytes, and report/files/<name> its files
reviews/entry-N.json       each decision, N its review.decided entry
manifests/entry-N.c2pa     each manifest store of the output, N its label's entry
checkpoint, entries.jsonl, proofs/inclusion.jsonl
                           the call's audit entries with their proofs against one checkpoint
public-key.txt, .pem       the log's key
README.md                  every file with its SHA-256, what it is and the entry that records it
evidence.json              the same listing as RFC 8785 JSON; evidence.sig its signature

Only what the checkpoint covers goes in: a report, decision or label whose entry came
after the checkpoint read is left for the next bundle, and a checkpoint read before
such a row's entry committed is read again, so every file has its entry in the bundle.
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlmodel import Session, col, select

from governance.aimodels.models import AiModel
from governance.audit import log
from governance.audit.bundle_format import (
    EVIDENCE_FORMAT,
    EVIDENCE_LISTING,
    EVIDENCE_SIGNATURE,
    INCLUSION,
    MANIFESTS,
    REPORT_FILES,
    REPORT_JSON,
    REVIEWS,
    describe,
    evidence_message,
)
from governance.audit.models import AuditEntry
from governance.audit.notes import b64
from governance.audit.service import READERS, public_key
from governance.auth.service import Principal, require_role
from governance.calls.evidence_readme import readme
from governance.calls.models import ModelCall
from governance.calls.service import call_out
from governance.credentials.models import OutputLabel
from governance.errors import CallNotFound, DatabaseBusy, GovernError
from governance.reports.models import CallReport, ReportState
from governance.reviews.models import CallReview
from governance.services import Services

# Reads of the checkpoint and the rows, should decisions keep landing in between.
ATTEMPTS = 3
# Every member gets this time: the same evidence makes the same zip, byte for byte.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    data: bytes
    entry: int | None  # the audit entry that records it; None: the log's own files


class UnsafeFileName(GovernError):
    """A report names a file in a way that cannot be a path inside a zip."""

    status = 500
    code = "UnsafeFileName"


def evidence_for(session: Session, services: Services, principal: Principal, call_id: int) -> bytes:
    """The zip for GET /v1/calls/{id}/evidence: auditors, regulators and admins."""
    require_role(principal, *READERS)
    return evidence_zip(session, services, call_id)


def evidence_zip(session: Session, services: Services, call_id: int) -> bytes:
    """The call's evidence bundle as zip bytes (CallNotFound for no such call)."""
    for _ in range(ATTEMPTS):
        note, size = log.newest_note(session, services.audit)
        files = _rows(session, services, call_id, size)
        if not _after(session, call_id, size):
            break
    else:
        raise DatabaseBusy(f"call {call_id} kept changing while its evidence was read; retry")
    files += _log_files(session, services, call_id, note, size)
    listing = _listing(services, call_id, size, files)
    signature = b64(services.audit.key.sign(evidence_message(listing))) + "\n"
    members = {f.name: f.data for f in files}
    members |= {EVIDENCE_LISTING: listing, EVIDENCE_SIGNATURE: signature.encode()}
    return _zip(members)


def _rows(session: Session, services: Services, call_id: int, size: int) -> list[EvidenceFile]:
    """The call's record, report, decisions and manifests whose entries are below `size`."""
    call = session.get(ModelCall, call_id)
    if call is None:
        raise CallNotFound(f"there is no call {call_id}")
    session.refresh(call)  # a second attempt reads it again
    model = session.get(AiModel, call.model_id)
    assert model is not None
    record = call_out(call, model).model_dump(mode="json")
    files = [EvidenceFile("call.json", _canonical(record), call.audit_index)]
    report = session.exec(select(CallReport).where(CallReport.call_id == call_id)).first()
    if report is not None:
        session.refresh(report)
        files += _report(services, report, size)
    decisions = select(CallReview).where(CallReview.call_id == call_id)
    for review in session.exec(decisions.order_by(col(CallReview.audit_index))):
        if _below(review.audit_index, size):
            name = f"{REVIEWS}{review.audit_index}.json"
            files.append(EvidenceFile(name, _canonical(_decision(review)), review.audit_index))
    labels = select(OutputLabel).where(OutputLabel.call_id == call_id)
    for label in session.exec(labels.order_by(col(OutputLabel.audit_index))):
        if _below(label.audit_index, size):
            name = f"{MANIFESTS}{label.audit_index}.c2pa"
            data = services.blobs.get(label.manifest_store_sha256)
            files.append(EvidenceFile(name, data, label.audit_index))
    return files


def _below(index: int | None, size: int) -> bool:
    return index is not None and index < size


def _report(services: Services, report: CallReport, size: int) -> list[EvidenceFile]:
    if report.state != ReportState.READY or report.report_sha256 is None:
        return []
    if not _below(report.audit_index, size):
        return []
    files = [
        EvidenceFile(REPORT_JSON, services.blobs.get(report.report_sha256), report.audit_index)
    ]
    for name, stored in sorted(report.files.items()):
        if not _safe(name):
            raise UnsafeFileName(f"the report of call {report.call_id} names a file {name!r}")
        data = services.blobs.get(stored["sha256"])
        files.append(EvidenceFile(REPORT_FILES + name, data, report.audit_index))
    return files


def _safe(name: str) -> bool:
    parts = name.split("/")
    return (
        name.isprintable()
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in parts)
    )


def _decision(review: CallReview) -> dict[str, Any]:
    return {
        "id": review.id,
        "call_id": review.call_id,
        "reviewer_key_id": review.reviewer_key_id,
        "reviewer": review.reviewer,
        "decision": review.decision,
        "comment": review.comment,
        "regions": review.regions,
        "report_sha256": review.report_sha256,
        "audit_index": review.audit_index,
        "decided_at": review.decided_at.isoformat(),
    }


def _after(session: Session, call_id: int, size: int) -> bool:
    """Whether an entry about the call lies beyond the checkpoint: a row read may then
    name an entry the checkpoint does not cover."""
    query = select(AuditEntry.idx).where(
        AuditEntry.subject == f"call:{call_id}", col(AuditEntry.idx) >= size
    )
    return session.exec(query.limit(1)).first() is not None


def _log_files(
    session: Session, services: Services, call_id: int, note: str, size: int
) -> list[EvidenceFile]:
    query = select(AuditEntry.idx, AuditEntry.entry).where(
        AuditEntry.subject == f"call:{call_id}", col(AuditEntry.idx) < size
    )
    rows = list(session.exec(query.order_by(col(AuditEntry.idx))))
    proofs = []
    for index, _ in rows:
        _leaf, _root, proof = log.inclusion_with_root(session, index, size)
        proofs.append(_canonical({"index": index, "proof": [b64(h) for h in proof]}) + b"\n")
    key = public_key(services)
    return [
        EvidenceFile("checkpoint", note.encode(), None),
        EvidenceFile("entries.jsonl", b"".join(entry + b"\n" for _, entry in rows), None),
        EvidenceFile(INCLUSION, b"".join(proofs), None),
        EvidenceFile("public-key.txt", (key.verifier_key + "\n").encode(), None),
        EvidenceFile("public-key.pem", key.public_key_pem.encode(), None),
    ]


def _listing(services: Services, call_id: int, size: int, files: list[EvidenceFile]) -> bytes:
    listed = [_listed(f) for f in files]
    guide = readme(call_id, listed)
    listed.append(_listed(EvidenceFile("README.md", guide, None)))
    files.append(EvidenceFile("README.md", guide, None))
    return _canonical(
        {
            "format": EVIDENCE_FORMAT,
            "call_id": call_id,
            "subject": f"call:{call_id}",
            "origin": services.audit.origin,
            "tree_size": size,
            "files": sorted(listed, key=lambda f: str(f["name"])),
        }
    )


def _listed(file: EvidenceFile) -> dict[str, Any]:
    return {
        "name": file.name,
        "sha256": hashlib.sha256(file.data).hexdigest(),
        "size": len(file.data),
        "what": describe(file.name),
        "entry": file.entry,
    }


def _canonical(value: Any) -> bytes:
    data: bytes = rfc8785.dumps(value)
    return data


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name])
    return buffer.getvalue()
