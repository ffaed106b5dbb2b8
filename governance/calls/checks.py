"""Pre-checks of a governed call: who asks, may this model be used, may this input or
prompt be used. Each refuses with reasons and keeps its evidence."""

from typing import Any

from PIL import Image

from governance.aimodels import clearance
from governance.calls.context import CallContext, Outcome, StageResult, refused
from governance.works.matching import match_image
from rights import registry
from rights.clearance import Verdict
from rights.registry import work_terms
from rights.terms import TermValue, Use

# A restoration is inference on the input work; standard manifests know no
# `restoration`, so a work that forbids either is not restored.
RESTORATION_USES = (Use.RESTORATION, Use.AI_INFERENCE)
# A work whose holder refused generative training has opted out of generative use;
# refusing all AI training refuses that too.
GENERATIVE_USES = (Use.AI_GENERATIVE_TRAINING, Use.AI_TRAINING)
FORBIDDING = {TermValue.NOT_ALLOWED, TermValue.CONSTRAINED}
# Every work the input matches is judged, not only the closest few.
MAX_MATCHES = 1000


class Authenticate:
    name = "authenticate"

    def run(self, call: CallContext) -> StageResult:
        # The key was checked before the call began; this records who made it.
        principal = call.principal
        return StageResult(
            self.name, Outcome.PASSED, {"actor": principal.actor, "role": principal.role.value}
        )


class ClearanceCheck:
    name = "clearance"

    def run(self, call: CallContext) -> StageResult:
        assert call.model.id is not None
        row = clearance.latest(call.session, call.model.id)
        assert row is not None, "every model is cleared at registration"
        evidence = {
            "clearance_id": row.id,
            "verdict": row.verdict,
            "audit_index": row.audit_index,
            "computed_at": row.computed_at.isoformat(),
        }
        if row.verdict == Verdict.CLEARED.value:
            return StageResult(self.name, Outcome.PASSED, evidence)
        reasons = [
            reason for use in row.uses["required"] for reason in row.uses["uses"][use]["reasons"]
        ]
        detail = f"model '{call.model.name}' is not cleared ({row.verdict})"
        if reasons:
            detail += ": " + "; ".join(dict.fromkeys(reasons[:5]))
        return refused(self.name, f"model_{row.verdict}", detail, evidence)


def _terms_of(term: dict[str, Any] | None) -> TermValue:
    return TermValue((term or {}).get("use", TermValue.UNKNOWN.value))


class InputRights:
    name = "input_rights"

    def run(self, call: CallContext) -> StageResult:
        assert call.image is not None
        matches = match_image(
            call.session, call.services, Image.fromarray(call.image), limit=MAX_MATCHES
        )
        works = work_terms(call.session, {m.work_id for m in matches})
        found = []
        reasons = []
        for m in matches:
            work = works[m.work_id]
            terms = {u.value: _terms_of(work.terms.get(u.value)).value for u in RESTORATION_USES}
            found.append({**m.model_dump(), "terms_version": work.terms_version, "terms": terms})
            forbidding = [u for u, v in terms.items() if TermValue(v) in FORBIDDING]
            if forbidding:
                reasons.append(
                    {
                        "code": "input_rights",
                        "detail": f"the input matches work {m.work_id} ('{work.title}' by "
                        f"{work.creator}), whose terms say {', '.join(forbidding)}: "
                        + ", ".join(terms[u] for u in forbidding),
                    }
                )
        outcome = Outcome.REFUSED if reasons else Outcome.PASSED
        return StageResult(self.name, outcome, {"matches": found}, reasons)


class PromptCheck:
    """Refuses prompts that name a protected work's title or creator.

    A one-word name ("Portrait", "Anonymous") is too common to refuse on: it is recorded
    as a flag in the evidence, and only names of two words or more refuse.
    """

    name = "prompt_check"

    def run(self, call: CallContext) -> StageResult:
        prompt = call.request["prompt"]
        named = registry.works_named_in(call.session, prompt)
        works = work_terms(call.session, {w.id for w, _, _ in named if w.id is not None})
        found = []
        reasons = []
        for work, what, key in named:
            assert work.id is not None
            terms = works[work.id]
            values = {u.value: _terms_of(terms.terms.get(u.value)).value for u in GENERATIVE_USES}
            forbidding = [u for u, v in values.items() if TermValue(v) in FORBIDDING]
            refuses = bool(forbidding) and " " in key
            found.append(
                {
                    "work_id": work.id,
                    "named": what,
                    "key": key,
                    "terms": values,
                    "refuses": refuses,
                    "flagged": bool(forbidding) and not refuses,
                }
            )
            if refuses:
                reasons.append(
                    {
                        "code": "prompt_names_protected_work",
                        "detail": f"the prompt names the {what} of work {work.id} "
                        f"('{work.title}' by {work.creator}), whose terms say "
                        + ", ".join(f"{u}: {values[u]}" for u in forbidding),
                    }
                )
        outcome = Outcome.REFUSED if reasons else Outcome.PASSED
        return StageResult(self.name, outcome, {"named_works": found}, reasons)
