"""The audit subjects that concern a work: the work itself and every call whose input
matched it. What an export by `work:N` selects, and what a holder's usage lists.

The calls come from each call's recorded `input_rights` evidence, the JSON in
`model_calls.stages`. No index names a call's works yet, so they are found by a text
prefilter on that JSON, then confirmed from the parsed evidence (`input_matches`): one
sequential scan of the calls table per pass, acceptable while calls number in the
hundreds of thousands; a link table written by the `input_rights` stage is the way past
that. It lives here, below the works domain, because the audit export (core) needs it.
"""

import re
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Text, cast, or_
from sqlmodel import Session, col, select

from governance.calls.models import ModelCall

# The stage whose evidence lists the works a call's input matched (named by the pipeline,
# a layer above this one; the name is part of the stored evidence's format).
INPUT_STAGE = "input_rights"
SCAN_BATCH = 200
# Only a work's canonical subject expands: "work:07" names no work's entries.
_WORK_SUBJECT = re.compile(r"work:([1-9][0-9]{0,17})")


def candidate_calls(session: Session, work_id: int) -> Iterator[ModelCall]:
    """Calls whose stages' JSON text names the work id, in batches, newest first.

    A superset: the JSON is written by SQLAlchemy's `json.dumps` on both databases (the
    column is JSON, not JSONB, so PostgreSQL keeps the text as sent), which writes a key
    as `"work_id": 12` followed by `,` or `}`. `input_matches` confirms each from the
    parsed evidence, so a prefilter hit elsewhere in the JSON is dropped, never served.
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


def input_matches(
    row: ModelCall, work_id: int
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The call's `input_rights` stage and its matches of the work; None when the call's
    input did not match the work (or the call has no such stage)."""
    for stage in row.stages:
        if stage.get("name") != INPUT_STAGE:
            continue
        evidence = stage.get("evidence") or {}
        mine = [m for m in evidence.get("matches", []) if m.get("work_id") == work_id]
        return (stage, mine) if mine else None
    return None


def matching_calls(
    session: Session, work_id: int
) -> Iterator[tuple[ModelCall, dict[str, Any], list[dict[str, Any]]]]:
    """Every call whose recorded input evidence matched the work, newest first, with its
    `input_rights` stage and the matches of the work."""
    for row in candidate_calls(session, work_id):
        found = input_matches(row, work_id)
        if found is not None:
            yield row, *found


def related_subjects(session: Session, work_id: int) -> list[str]:
    """The work's subject, then every call whose input matched it, in call order."""
    call_ids = sorted(
        {row.id for row, _, _ in matching_calls(session, work_id) if row.id is not None}
    )
    return [f"work:{work_id}", *(f"call:{i}" for i in call_ids)]


def subjects_for_export(session: Session, subject: str) -> list[str]:
    """The subjects an export by `subject` selects, `subject` first: for `work:N`, the work
    and its calls (`related_subjects`); any other subject alone."""
    work = _WORK_SUBJECT.fullmatch(subject)
    return related_subjects(session, int(work.group(1))) if work else [subject]
