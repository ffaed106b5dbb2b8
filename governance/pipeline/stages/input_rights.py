"""May this input be restored: every registered work it copies is judged by its terms.

The near-copy matcher (governance.works.matching) finds a work turned, flipped, mirrored,
cropped, bordered or inverted, not only re-encoded. A disputed work's terms bind no one
(rights.disputes): its match is recorded, but refuses nothing; the earlier work it is
disputed over is matched too, and its terms do bind.

The works' terms also say what the restored output carries on (CAWG training-mining):
this stage hands them to the manifest through the context.
"""

from PIL import Image

from governance.pipeline.context import CallContext, RestorationInput
from governance.pipeline.evidence import InputMatch, InputRightsEvidence
from governance.pipeline.stage import Outcome, Reason, StageResult
from governance.works.matching import match_image
from rights.carried_terms import carried_terms
from rights.registry import work_terms
from rights.terms import FORBIDDING, TermValue, Use, term_value

# A restoration is inference on the input work; standard manifests know no
# `restoration`, so a work that forbids either is not restored.
RESTORATION_USES = (Use.RESTORATION, Use.AI_INFERENCE)
# Every work the input matches is judged, not only the closest few.
MAX_MATCHES = 1000


class InputRights:
    name = "input_rights"

    def run(self, call: CallContext) -> StageResult:
        assert isinstance(call.input, RestorationInput), "only restorations have an input"
        matches = match_image(
            call.session,
            call.services,
            Image.fromarray(call.input.image),
            limit=MAX_MATCHES,
            alterations=False,
        )
        works = work_terms(call.session, {m.work_id for m in matches})
        found = []
        reasons = []
        for m in matches:
            work = works[m.work_id]
            terms = {u.value: term_value(work.terms.get(u.value)).value for u in RESTORATION_USES}
            found.append(
                InputMatch(
                    **m.model_dump(),
                    terms_version=work.terms_version,
                    terms=terms,
                    binds=work.binds,
                )
            )
            forbidding = [u for u, v in terms.items() if TermValue(v) in FORBIDDING]
            if forbidding and work.binds:
                reasons.append(
                    Reason(
                        "input_rights",
                        f"the input matches work {m.work_id} ('{work.title}' by "
                        f"{work.creator}), whose terms say {', '.join(forbidding)}: "
                        + ", ".join(terms[u] for u in forbidding),
                    )
                )
        call.manifest.training_mining = carried_terms(w for w in works.values() if w.binds)
        outcome = Outcome.REFUSED if reasons else Outcome.PASSED
        return StageResult(self.name, outcome, InputRightsEvidence(matches=found), reasons)
