"""The terms a work had at one moment, as a generation report states them.

Read from the registry's versions (rights.registry.terms_at), which are only ever added:
the terms in force at the report's `as_of` read the same at any later time. A work's
status (a dispute) does change afterwards; the report states it as it was read.
"""

from datetime import datetime

from sqlmodel import Session, col, select

from governance.reports.generation_schema import Term, TermsInForce
from rights import registry
from rights.disputes import binds
from rights.models import Work
from rights.terms import FORBIDDING, TermValue, Use, term_value


def allows_generative_use(uses: dict[str, Term]) -> bool:
    """The screen's rule (governance.screening.judge: `permits_generation`), restated for
    the core; tests/reports checks that the two agree on every pair of values."""
    generative = TermValue(uses[Use.AI_GENERATIVE_TRAINING.value].value)
    training = TermValue(uses[Use.AI_TRAINING.value].value)
    return generative is TermValue.ALLOWED and training not in FORBIDDING


def terms_of(effective: dict[str, object]) -> dict[str, Term]:
    uses = {}
    for use in Use:
        term = effective.get(use.value)
        found = term if isinstance(term, dict) else None
        info = found.get("constraint_info") if found is not None else None
        uses[use.value] = Term(
            value=term_value(found).value, constraint_info=info if isinstance(info, str) else None
        )
    return uses


class WorkAsOf:
    """One work as the report states it: its terms in force at `as_of`, its status."""

    def __init__(self, work: Work, terms: TermsInForce) -> None:
        self.work_id = work.id or 0
        self.terms = terms
        self.status = str(work.status)
        self.binds = binds(self.status)


def works_as_of(session: Session, work_ids: set[int], as_of: datetime) -> dict[int, WorkAsOf]:
    """The works among `work_ids` registered at `as_of`, with their terms then."""
    if not work_ids:
        return {}
    found: dict[int, WorkAsOf] = {}
    for work in session.exec(select(Work).where(col(Work.id).in_(work_ids))):
        version = registry.terms_at(session, work, as_of)
        if version is None or work.id is None:
            continue  # registered after the report's moment (a late commit of a lower id)
        uses = terms_of(version.effective)
        terms = TermsInForce(
            version=version.version,
            effective_from=version.effective_from,
            uses=uses,
            allows_generative_use=allows_generative_use(uses),
        )
        found[work.id] = WorkAsOf(work, terms)
    return found


def work_url(work_id: int) -> str:
    return f"/v1/works/{work_id}"
