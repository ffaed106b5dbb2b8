"""May this prompt be used: it must not name a work whose terms refuse generative use."""

from governance.pipeline.context import CallContext, GenerationInput
from governance.pipeline.evidence import NamedWork, NameWord, PromptCheckEvidence
from governance.pipeline.stage import Outcome, Reason, StageResult
from rights import registry
from rights.models import Work
from rights.names import DISTINCTIVE, NameMatch, word_class
from rights.terms import FORBIDDING, TermValue, Use, term_value

# A work whose holder refused generative training has opted out of generative use;
# refusing all AI training refuses that too.
GENERATIVE_USES = (Use.AI_GENERATIVE_TRAINING, Use.AI_TRAINING)
# How many distinctive words a matched name needs to refuse the prompt. Common words
# ("Still Life", "The Kiss", "John Smith") weigh nothing however many there are: a title
# made of them is also what anyone may ask for, so it is only flagged in the evidence.
REFUSE_WEIGHT = 1


def _weights(match: NameMatch) -> list[tuple[str, str]]:
    return [
        (shown, word_class(key))
        for shown, key in zip(match.form.words, match.form.key.split(" "), strict=False)
    ]


def _strength(match: NameMatch) -> tuple[int, int, int]:
    weights = _weights(match)
    distinctive = sum(1 for _, w in weights if w == DISTINCTIVE)
    return distinctive, len(weights), -match.found.start


class PromptCheck:
    """Refuses prompts that name a protected work's title or creator.

    Names are matched as names, in their usual forms (rights.names), and weighed by
    their words: only a match holding a distinctive word refuses; one made of common
    words is recorded as a flag in the evidence and the call goes on.
    """

    name = "prompt_check"

    def run(self, call: CallContext) -> StageResult:
        assert isinstance(call.input, GenerationInput), "only generations have a prompt"
        prompt = call.input.prompt
        # The strongest form of each name the prompt uses: "Johannes Vermeer" also holds
        # the surname "Vermeer", and one entry per name keeps the evidence readable.
        best: dict[tuple[int, str], tuple[Work, NameMatch]] = {}
        for work, match in registry.works_named_in(call.session, prompt):
            assert work.id is not None
            seen = best.get((work.id, match.named))
            if seen is None or _strength(match) > _strength(seen[1]):
                best[(work.id, match.named)] = (work, match)
        works = registry.work_terms(call.session, {work_id for work_id, _ in best})
        found = []
        reasons = []
        for (work_id, named), (work, match) in sorted(best.items()):
            terms = works[work_id]
            values = {u.value: term_value(terms.terms.get(u.value)).value for u in GENERATIVE_USES}
            # A disputed or rejected work's terms bind no one (rights.disputes).
            forbidding = (
                [u for u, v in values.items() if TermValue(v) in FORBIDDING] if terms.binds else []
            )
            weights = _weights(match)
            distinctive = [shown for shown, w in weights if w == DISTINCTIVE]
            refuses = bool(forbidding) and len(distinctive) >= REFUSE_WEIGHT
            matched = prompt[match.found.start : match.found.end]
            text = work.title if named == "title" else work.creator
            if not terms.binds:
                why = "the work is disputed or its claim was rejected: its terms bind no one"
            elif not forbidding:
                why = "its terms allow generative use"
            elif refuses:
                why = "it names the work by its distinctive word(s) " + ", ".join(distinctive)
            else:
                why = "its words are all common or initials: flagged, not refused"
            found.append(
                NamedWork(
                    work_id=work_id,
                    named=named,
                    name=text,
                    form=match.form.form,
                    key=match.form.key,
                    matched=matched,
                    words=[NameWord(word=shown, weight=w) for shown, w in weights],
                    terms=values,
                    refuses=refuses,
                    flagged=bool(forbidding) and not refuses,
                    why=why,
                )
            )
            if refuses:
                reasons.append(
                    Reason(
                        "prompt_names_protected_work",
                        f"the prompt names the {named} of work {work_id} "
                        f"('{work.title}' by {work.creator}) as '{matched}' "
                        f"({match.form.form.replace('_', ' ')}), whose terms say "
                        + ", ".join(f"{u}: {values[u]}" for u in forbidding),
                    )
                )
        outcome = Outcome.REFUSED if reasons else Outcome.PASSED
        return StageResult(self.name, outcome, PromptCheckEvidence(named_works=found), reasons)
