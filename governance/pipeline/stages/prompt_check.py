"""May this prompt be used: it must not name a work whose terms refuse generative use."""

from governance.pipeline.context import CallContext, GenerationInput
from governance.pipeline.evidence import NamedWork, PromptCheckEvidence
from governance.pipeline.stage import Outcome, Reason, StageResult
from rights import registry
from rights.terms import FORBIDDING, TermValue, Use, term_value

# A work whose holder refused generative training has opted out of generative use;
# refusing all AI training refuses that too.
GENERATIVE_USES = (Use.AI_GENERATIVE_TRAINING, Use.AI_TRAINING)


class PromptCheck:
    """Refuses prompts that name a protected work's title or creator.

    A one-word name ("Portrait", "Anonymous") is too common to refuse on: it is recorded
    as a flag in the evidence, and only names of two words or more refuse.
    """

    name = "prompt_check"

    def run(self, call: CallContext) -> StageResult:
        assert isinstance(call.input, GenerationInput), "only generations have a prompt"
        named = registry.works_named_in(call.session, call.input.prompt)
        works = registry.work_terms(call.session, {w.id for w, _, _ in named if w.id is not None})
        found = []
        reasons = []
        for work, what, key in named:
            assert work.id is not None
            terms = works[work.id]
            values = {u.value: term_value(terms.terms.get(u.value)).value for u in GENERATIVE_USES}
            forbidding = [u for u, v in values.items() if TermValue(v) in FORBIDDING]
            refuses = bool(forbidding) and " " in key
            found.append(
                NamedWork(
                    work_id=work.id,
                    named=what,
                    key=key,
                    terms=values,
                    refuses=refuses,
                    flagged=bool(forbidding) and not refuses,
                )
            )
            if refuses:
                reasons.append(
                    Reason(
                        "prompt_names_protected_work",
                        f"the prompt names the {what} of work {work.id} "
                        f"('{work.title}' by {work.creator}), whose terms say "
                        + ", ".join(f"{u}: {values[u]}" for u in forbidding),
                    )
                )
        outcome = Outcome.REFUSED if reasons else Outcome.PASSED
        return StageResult(self.name, outcome, PromptCheckEvidence(named_works=found), reasons)
