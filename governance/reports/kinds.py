"""Which report a call gets, by its kind: a restoration is explained (explain/), a
generation is set beside the works and training items it resembles (generation.py)."""

from typing import TYPE_CHECKING

from sqlmodel import Session

from governance.adapters.base import ModelKind
from governance.calls.models import ModelCall
from governance.db import read_only
from governance.reports.build import Built, ReportInputError, build_report, read_call
from governance.reports.generation import BuiltGeneration, build_generation, read_generation
from governance.services import Services

if TYPE_CHECKING:
    from explain.report import ReportParams


def call_kind(services: Services, call_id: int) -> str:
    with Session(read_only(services.engine)) as session:
        call = session.get(ModelCall, call_id)
    if call is None:
        raise ReportInputError(f"call {call_id} is not recorded")
    return call.kind


def build_call_report(
    services: Services, call_id: int, params: "ReportParams | None" = None
) -> Built | BuiltGeneration:
    """The call's report, built; `params` are a restoration report's (a generation's has
    none: it states its thresholds instead)."""
    if call_kind(services, call_id) == ModelKind.GENERATION.value:
        return build_generation(services, read_generation(services, call_id))
    return build_report(services, read_call(services, call_id), params)
