"""Each label is a row of the manifest repository and an audit entry of its own."""

from sqlmodel import Session

from governance.audit.entries import OutputLabelled
from governance.blobs import keep_blob
from governance.credentials.draft import LabelDraft
from governance.credentials.models import OutputLabel
from governance.services import Services
from rights.fingerprints import hash_hex


def record_label(
    session: Session,
    services: Services,
    actor: str,
    call_id: int,
    output_sha256: str,
    draft: LabelDraft,
) -> OutputLabel:
    store_sha256 = keep_blob(session, services.blobs, draft.manifest_store)
    details = draft.details.model_dump(mode="json")
    label = OutputLabel(
        manifest_id=draft.manifest_id,
        call_id=call_id,
        watermark_id=draft.watermark_id,
        phash=draft.phash,
        dhash=draft.dhash,
        output_sha256=output_sha256,
        manifest_store_sha256=store_sha256,
        details=details,
        call_audit_index=draft.call_audit_index,
    )
    session.add(label)
    session.flush()
    entry = services.audit.record(
        session,
        f"call:{call_id}",
        actor,
        OutputLabelled(
            call_id=call_id,
            call_audit_index=draft.call_audit_index,
            manifest_id=draft.manifest_id,
            output_sha256=output_sha256,
            manifest_store_sha256=store_sha256,
            watermark_id=draft.watermark_id,
            phash=hash_hex(draft.phash),
            dhash=hash_hex(draft.dhash),
            **dict(draft.details),
        ),
    )
    label.audit_index = entry.idx
    session.add(label)
    session.flush()
    return label
