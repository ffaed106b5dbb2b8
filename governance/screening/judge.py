"""May a model's output resemble a registered work: each work's terms for generative use.

A generation that copies a work is a generative use of it: it stands only where the
holder allowed `ai_generative_training`. A work whose holder refused all AI training
refused that too (as the prompt check reads it), and `unknown` is no permission. A
work in a disputed registration (a claim on another holder's work) binds no one until
an admin upholds it, nor ever once rejected (rights.disputes); the work it copies is
judged on its own.
"""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from rights.disputes import binds
from rights.models import Work
from rights.registry import work_terms
from rights.terms import FORBIDDING, TermValue, Use, term_value

GENERATIVE_USES = (Use.AI_GENERATIVE_TRAINING, Use.AI_TRAINING)


@dataclass(frozen=True)
class WorkJudged:
    title: str
    creator: str
    terms_version: int
    terms: dict[str, str]  # the generative uses -> allowed / notAllowed / constrained / unknown
    status: str

    @property
    def binds(self) -> bool:
        return binds(self.status)

    @property
    def permits_generation(self) -> bool:
        generative = TermValue(self.terms[Use.AI_GENERATIVE_TRAINING.value])
        training = TermValue(self.terms[Use.AI_TRAINING.value])
        return generative is TermValue.ALLOWED and training not in FORBIDDING


def judge_works(session: Session, work_ids: set[int]) -> dict[int, WorkJudged]:
    """The works among `work_ids` that exist, with their terms in force now."""
    found = work_terms(session, work_ids)
    statuses = _statuses(session, set(found))
    return {
        work_id: WorkJudged(
            title=work.title,
            creator=work.creator,
            terms_version=work.terms_version,
            terms={u.value: term_value(work.terms.get(u.value)).value for u in GENERATIVE_USES},
            status=statuses.get(work_id, "registered"),
        )
        for work_id, work in found.items()
    }


def _statuses(session: Session, work_ids: set[int]) -> dict[int, str]:
    if not work_ids:
        return {}
    rows = session.exec(select(Work.id, Work.status).where(col(Work.id).in_(work_ids)))
    return {work_id: str(status) for work_id, status in rows if work_id is not None}
