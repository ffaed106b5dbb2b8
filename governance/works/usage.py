"""Was my work used: the models trained on it and the calls whose input matched it.

Models come from the clearance links (a training item that matches the work). Calls come
from each call's recorded `input_rights` evidence, the JSON in `model_calls.stages`. No
index names a call's works yet, so the calls are found by a text prefilter on that JSON,
then confirmed from the parsed evidence (see `_candidate_calls`): one sequential scan of
the calls table per page, acceptable while calls number in the hundreds of thousands; a
link table written by the `input_rights` stage is the way past that.
"""

from collections.abc import Iterator

from sqlalchemy import Text, cast, or_
from sqlmodel import Session, col, select

from governance.aimodels import clearance
from governance.aimodels.models import AiModel, ClearanceLink, ModelClearance
from governance.auth.service import Principal
from governance.calls.models import ModelCall
from governance.works.schemas import UsageCall, UsageItem, UsageModel, UsageOfUse, WorkUsage
from governance.works.service import readable_work
from rights.terms import FORBIDDING, TermValue

# The stage whose evidence lists the works a call's input matched, and the outcome that
# blocks the call (governance.pipeline.stage.Outcome.REFUSED; a layer above this one).
INPUT_STAGE = "input_rights"
REFUSED = "refused"
ITEMS_PER_MODEL = 100
REASONS_PER_USE = 20
SCAN_BATCH = 200


def work_usage(
    session: Session, principal: Principal, work_id: int, limit: int, offset: int
) -> WorkUsage:
    """The work's models (all of them) and one page of its calls, newest first."""
    readable_work(session, principal, work_id)
    calls: list[UsageCall] = []
    more = False
    for found, call in enumerate(_matching_calls(session, work_id)):
        if found < offset:
            continue
        if len(calls) == limit:
            more = True
            break
        calls.append(call)
    return WorkUsage(
        work_id=work_id,
        models=_models(session, work_id),
        calls=calls,
        calls_limit=limit,
        calls_offset=offset,
        calls_more=more,
    )


def related_subjects(session: Session, work_id: int) -> list[str]:
    """The audit subjects that concern work `work_id`: itself, then every call whose input
    matched it, in call order. What an export by `work:N` selects."""
    call_ids = sorted(call.call_id for call in _matching_calls(session, work_id))
    return [f"work:{work_id}", *(f"call:{i}" for i in call_ids)]


def subjects_for_export(session: Session, subject: str) -> list[str]:
    """The subjects an export by `subject` selects: for `work:N`, the work and its calls
    (`related_subjects`); any other subject alone."""
    kind, _, number = subject.partition(":")
    if kind == "work" and number.isdecimal():
        return related_subjects(session, int(number))
    return [subject]


def _models(session: Session, work_id: int) -> list[UsageModel]:
    query = (
        select(ClearanceLink)
        .where(ClearanceLink.work_id == work_id)
        .order_by(col(ClearanceLink.model_id), col(ClearanceLink.item_id))
    )
    links: dict[int, list[ClearanceLink]] = {}
    for link in session.exec(query):
        links.setdefault(link.model_id, []).append(link)
    models = []
    for model_id, model_links in links.items():
        model = session.get(AiModel, model_id)
        assert model is not None, "a clearance link names a registered model"
        in_force = clearance.latest(session, model_id)
        models.append(
            UsageModel(
                model_id=model_id,
                name=model.name,
                version=model.version,
                kind=model.kind,
                verdict=None if in_force is None else in_force.verdict,
                uses={} if in_force is None else _uses(in_force, work_id),
                items=[
                    UsageItem(item_id=link.item_id, match=link.match, distance=link.distance)
                    for link in model_links[:ITEMS_PER_MODEL]
                ],
                items_total=len(model_links),
            )
        )
    return models


def _uses(in_force: ModelClearance, work_id: int) -> dict[str, UsageOfUse]:
    """Each use's verdict, with the reasons given for this work's items only: the evidence
    names other holders' works too, which are not this holder's to read."""
    evidence = clearance.evidence_of(in_force)
    out = {}
    for use, judged in evidence.uses.items():
        reasons = list(dict.fromkeys(i.reason for i in judged.items if i.work_id == work_id))
        out[use.value] = UsageOfUse(
            verdict=judged.verdict.value, work_reasons=reasons[:REASONS_PER_USE]
        )
    return out


def _matching_calls(session: Session, work_id: int) -> Iterator[UsageCall]:
    """Every call whose recorded input evidence matched the work, newest first."""
    for row in _candidate_calls(session, work_id):
        call = _usage_of(row, work_id)
        if call is not None:
            yield call


def _candidate_calls(session: Session, work_id: int) -> Iterator[ModelCall]:
    """Calls whose stages' JSON text names the work id, in batches, newest first.

    A superset: the JSON is written by SQLAlchemy's `json.dumps` on both databases (the
    column is JSON, not JSONB, so PostgreSQL keeps the text as sent), which writes a key
    as `"work_id": 12` followed by `,` or `}`. `_usage_of` confirms each from the parsed
    evidence, so a prefilter hit elsewhere in the JSON is dropped, never served.
    """
    text = cast(col(ModelCall.stages), Text)
    named = or_(text.like(f'%"work_id": {work_id},%'), text.like(f'%"work_id": {work_id}}}%'))
    before: int | None = None
    while True:
        query = select(ModelCall).where(named)
        if before is not None:
            query = query.where(col(ModelCall.id) < before)
        rows = list(session.exec(query.order_by(col(ModelCall.id).desc()).limit(SCAN_BATCH)))
        yield from rows
        if len(rows) < SCAN_BATCH:
            return
        before = rows[-1].id


def _usage_of(row: ModelCall, work_id: int) -> UsageCall | None:
    for stage in row.stages:
        if stage.get("name") != INPUT_STAGE:
            continue
        evidence = stage.get("evidence") or {}
        mine = [m for m in evidence.get("matches", []) if m.get("work_id") == work_id]
        if not mine:
            return None
        # The stage refuses for each matched work whose terms forbid the restoration: so
        # this work was a cause exactly when the stage refused and its own terms forbid.
        forbids = any(
            TermValue(v) in FORBIDDING for m in mine for v in (m.get("terms") or {}).values()
        )
        assert row.id is not None
        return UsageCall(
            call_id=row.id,
            kind=row.kind,
            status=row.status.value,
            created_at=row.created_at,
            matched="input",
            refused_because_of_this_work=stage.get("outcome") == REFUSED and forbids,
        )
    return None
