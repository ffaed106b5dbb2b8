"""`govern reports verify`: build a ready report again and compare it with the stored one
within the tolerance the report states: a restoration's by explain.verify.compare_reports,
a generation's against the basis it states (generation_verify.py)."""

import json
from dataclasses import fields
from typing import TYPE_CHECKING

from sqlmodel import Session

from governance.db import read_only
from governance.reports.build import build_report, read_call
from governance.reports.errors import ReportNotFound, ReportNotReady
from governance.reports.generation_schema import SCHEMA as GENERATION_SCHEMA
from governance.reports.generation_schema import GenerationComparison
from governance.reports.generation_verify import verify_generation
from governance.reports.models import ReportState
from governance.reports.service import report_of
from governance.services import Services

if TYPE_CHECKING:
    from explain.report import ReportParams
    from explain.schemas import ReportComparison


def recorded_params(stored_json: bytes) -> "ReportParams":
    """The parameters the stored report was made with (a newer default must not make an
    old report look irreproducible)."""
    from explain.report import ReportParams

    recorded = json.loads(stored_json).get("params", {})
    names = {field.name for field in fields(ReportParams)}
    return ReportParams(**{k: v for k, v in recorded.items() if k in names})


def verify_report(services: Services, call_id: int) -> "ReportComparison | GenerationComparison":
    from explain.verify import compare_reports

    with Session(read_only(services.engine)) as session:
        row = report_of(session, call_id)
    if row is None:
        raise ReportNotFound(f"call {call_id} has no report")
    if row.state != ReportState.READY or row.report_sha256 is None:
        raise ReportNotReady(f"the report of call {call_id} is {row.state}, not ready")
    stored = services.blobs.get(row.report_sha256)
    if json.loads(stored).get("schema") == GENERATION_SCHEMA:
        return verify_generation(services, call_id, stored)
    rebuilt = build_report(services, read_call(services, call_id), recorded_params(stored))
    return compare_reports(stored, rebuilt.report)
