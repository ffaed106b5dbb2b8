"""Was my work used: the models trained on it and the calls whose input matched it.

Models come from the clearance links (a training item that matches the work). Calls come
from each call's recorded `input_rights` evidence, found as `governance.audit.related`
finds them for an audit export by `work:N`, so the usage and the export list the same
calls.
"""

from collections.abc import Iterator

from sqlmodel import Session, col, select

from governance.aimodels import clearance
from governance.aimodels.models import AiModel, ClearanceLink, ModelClearance
from governance.audit.related import matching_calls
from governance.auth.service import Principal
from governance.works.schemas import UsageCall, UsageItem, UsageModel, UsageOfUse, WorkUsage
from governance.works.service import readable_work
from rights.terms import FORBIDDING, TermValue

# The outcome that blocks the call (governance.pipeline.stage.Outcome.REFUSED; a layer
# above this one).
REFUSED = "refused"
ITEMS_PER_MODEL = 100
REASONS_PER_USE = 20


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
    for row, stage, mine in matching_calls(session, work_id):
        # The stage refuses for each matched work whose terms forbid the restoration: so
        # this work was a cause exactly when the stage refused and its own terms forbid.
        # Evidence before version 2 has no "binds": every work's terms bound then.
        forbids = any(
            TermValue(v) in FORBIDDING
            for m in mine
            if m.get("binds", True)
            for v in (m.get("terms") or {}).values()
        )
        assert row.id is not None
        yield UsageCall(
            call_id=row.id,
            kind=row.kind,
            status=row.status.value,
            created_at=row.created_at,
            matched="input",
            refused_because_of_this_work=stage.get("outcome") == REFUSED and forbids,
        )
