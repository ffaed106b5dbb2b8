"""The terms a restored output carries on from the works its input matched."""

from collections.abc import Iterable, Mapping
from typing import Any

from rights.clearance import WorkTerms
from rights.terms import RESTRICTIVENESS, TermValue, Use

# The CAWG uses a restored output carries, and the terms each is read from: our own
# `restoration` is ai_inference to the outside world.
CARRIED_USES = {
    Use.DATA_MINING: (Use.DATA_MINING,),
    Use.AI_TRAINING: (Use.AI_TRAINING,),
    Use.AI_GENERATIVE_TRAINING: (Use.AI_GENERATIVE_TRAINING,),
    Use.AI_INFERENCE: (Use.AI_INFERENCE, Use.RESTORATION),
}


def _strictest(terms: Mapping[str, Any], sources: tuple[Use, ...]) -> TermValue:
    """One work's say on a use: the strictest of the terms it is read from."""
    said = [TermValue((terms.get(source.value) or {}).get("use", "unknown")) for source in sources]
    return max(said, key=RESTRICTIVENESS.__getitem__)


def carried_terms(works: Iterable[WorkTerms]) -> dict[str, str]:
    """The strictest term per CAWG use among `works`."""
    works = list(works)
    carried: dict[str, str] = {}
    for use, sources in CARRIED_USES.items():
        values = [_strictest(work.terms, sources) for work in works]
        strictest = max(values, key=RESTRICTIVENESS.__getitem__, default=TermValue.UNKNOWN)
        # "allowed" is carried only when every work said so: one silent work means unknown.
        if strictest is TermValue.ALLOWED and TermValue.UNKNOWN in values:
            continue
        if strictest is not TermValue.UNKNOWN:
            carried[use.value] = strictest.value
    return carried
