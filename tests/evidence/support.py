"""A restoration with a ready report and a decision on it, made as helpers D and E will:
the rows and their entries inserted here, in one unit of work each."""

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from sqlmodel import select

from governance.audit.entries_reports import ReportFile, ReportReady, ReviewDecided
from governance.auth.service import create_key
from governance.blobs import keep_blob
from governance.db import unit_of_work
from governance.reports.models import CallReport, ReportState
from governance.reviews.models import CallReview
from tests.support.call_helpers import restore
from tests.support.helpers import auth, encode, photo
from tests.support.service_fixture import Service, make_service


@dataclass
class Restored:
    service: Service
    call_id: int
    report_id: int
    review_id: int
    verifier_key: str


def _report_files() -> dict[str, tuple[str, bytes]]:
    figure = encode(Image.fromarray(np.arange(64 * 64, dtype=np.uint8).reshape(64, 64)))
    raw = io.BytesIO()
    np.save(raw, np.linspace(0, 1, 100, dtype=np.float32).reshape(10, 10))
    return {
        "report.html": ("text/html", b"<!doctype html><title>report</title><p>changed pixels"),
        "changed.png": ("image/png", figure),
        "maps/saliency.npy": ("application/octet-stream", raw.getvalue()),
    }


def restored(database_url: str, data_dir: Path) -> Restored:
    """A built-in restoration (pending review, two approvals needed), its ready report and
    one conservator's approval, each with its entry."""
    service = make_service(database_url, data_dir, register_builtin_models=True, review_approvals=2)
    services = service.app.state.services
    with unit_of_work(services.engine) as session:
        key, service.keys["conservator"] = create_key(session, services.audit, "conservator", "c")
        reviewer_key_id = key.id
    assert reviewer_key_id is not None
    image = encode(photo("chelsea").convert("RGB").resize((96, 96)))
    mask = np.zeros((96, 96), dtype=np.uint8)
    mask[30:50, 20:60] = 255
    made = restore(service, image, encode(Image.fromarray(mask)), "builtin-restoration")  # type: ignore[arg-type]
    assert made.status_code == 201, made.text
    call = made.json()
    assert call["status"] == "pending_review", call
    call_id = call["id"]
    report_json = json.dumps({"schema": "restoration-report/1", "call_id": call_id}).encode()
    files = _report_files()
    with unit_of_work(services.engine) as session:
        report_sha256 = keep_blob(session, services.blobs, report_json)
        stored = {
            name: {
                "sha256": keep_blob(session, services.blobs, data),
                "media_type": kind,
                "size": len(data),
            }
            for name, (kind, data) in files.items()
        }
        # The report job may have queued the row already (made with the call).
        report = session.exec(select(CallReport).where(CallReport.call_id == call_id)).first()
        report = report or CallReport(call_id=call_id, state=ReportState.QUEUED.value)
        report.state, report.attempts = ReportState.READY.value, 1
        report.report_sha256, report.files = report_sha256, stored
        session.add(report)
        session.flush()
        ready = ReportReady(
            call_id=call_id,
            report_sha256=report_sha256,
            report_schema="restoration-report/1",
            files=[ReportFile(name=n, **f) for n, f in sorted(stored.items())],
            weights_sha256=call["model"]["weights_sha256"],
            randomisation_sha256=None,
        )
        entry = services.audit.append(
            session, ready.entry_kind, f"call:{call_id}", "worker", ready.data()
        )
        report.audit_index = entry.idx
        session.add(report)
        session.flush()
        report_id = report.id
    with unit_of_work(services.engine) as session:
        review = CallReview(
            call_id=call_id,
            reviewer_key_id=reviewer_key_id,
            reviewer="c",
            decision="approve",
            comment="the fill follows the fur",
            regions=[{"x": 20, "y": 30, "width": 40, "height": 20, "note": "fill"}],
            report_sha256=report_sha256,
        )
        session.add(review)
        session.flush()
        decided = ReviewDecided(
            call_id=call_id,
            reviewer="c",
            reviewer_key_id=reviewer_key_id,
            decision="approve",
            comment=review.comment,
            regions=review.regions,
            report_sha256=report_sha256,
            status="pending_review",
            released=None,
        )
        entry = services.audit.append(
            session, decided.entry_kind, f"call:{call_id}", "c", decided.data()
        )
        review.audit_index = entry.idx
        session.add(review)
        session.flush()
        review_id = review.id
    assert report_id is not None and review_id is not None
    return Restored(service, call_id, report_id, review_id, services.audit.verifier_key)


def evidence(service: Service, call_id: int, role: str = "auditor") -> Any:
    return service.client.get(f"/v1/calls/{call_id}/evidence", headers=auth(service.keys[role]))


def members(zipped: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
