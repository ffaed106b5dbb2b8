"""Each label is a row of the manifest repository and an audit entry of its own."""

from governance.calls.context import CallContext, keep_file
from governance.calls.models import ModelCall
from governance.credentials.models import OutputLabel
from rights.fingerprints import hash_hex


def record_label(call: CallContext, row: ModelCall) -> OutputLabel:
    draft = call.label
    assert draft is not None and row.id is not None and row.output_sha256 is not None
    store_sha256 = keep_file(call, draft.manifest_store)
    label = OutputLabel(
        manifest_id=draft.manifest_id,
        call_id=row.id,
        watermark_id=draft.watermark_id,
        phash=draft.phash,
        dhash=draft.dhash,
        output_sha256=row.output_sha256,
        manifest_store_sha256=store_sha256,
        details=draft.details,
        call_audit_index=draft.call_audit_index,
    )
    session = call.session
    session.add(label)
    session.flush()
    entry = call.services.audit.append(
        session,
        "output.labelled",
        f"call:{row.id}",
        call.principal.actor,
        {
            "call_id": row.id,
            "call_audit_index": draft.call_audit_index,
            "manifest_id": draft.manifest_id,
            "output_sha256": row.output_sha256,
            "manifest_store_sha256": store_sha256,
            "watermark_id": draft.watermark_id,
            "phash": hash_hex(draft.phash),
            "dhash": hash_hex(draft.dhash),
            **draft.details,
        },
    )
    label.audit_index = entry.idx
    session.add(label)
    session.flush()
    return label
