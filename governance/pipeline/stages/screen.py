"""Screening a model's output before it is labelled, kept or seen.

- Every output: which registered works it resembles (the near-copy matcher, with the
  transform and any altered regions) and the AI-made detectors' scores, recorded; a
  detector's score is never a refusal. Each resemblance is also a sighting of the work
  (works.sightings), which its holder reads.
- A generation that is a copy (band `match`) of a work whose terms do not allow
  generative use is refused (`output_copies_work`); a partial resemblance (band
  `review`) to such a work is flagged for a person (`resembles_work`).
- A restoration that changed pixels beyond its mask, grown by a few pixels, is flagged
  (`changed_outside_mask`), with the map: a restoration may only touch what it was asked
  to. The comparison is made on the model's own output, before the label stage adds its
  watermark (whose few grey levels are stated in the evidence).
"""

import time

from PIL import Image

from governance.blobs import keep_blob
from governance.detectors.assess import assess_synthetic
from governance.pipeline.context import CallContext, Output, RestorationInput
from governance.pipeline.evidence import (
    ChangedRegion,
    ChangeMap,
    LabelMarks,
    OutsideMaskCheck,
    ScreenedWork,
    ScreenEvidence,
)
from governance.pipeline.stage import Outcome, Reason, StageResult
from governance.screening.judge import WorkJudged, judge_works
from governance.screening.outside_mask import (
    DILATION_PX,
    TOLERANCE_GREY_LEVELS,
    changed_outside_mask,
    map_png,
)
from governance.screening.versions import matcher_versions
from governance.works.nearcopy import find_near_copies
from governance.works.nearcopy_schemas import MatchBand, NearCopyOut
from labeling.watermark import STEP, WATERMARK_ALG

# The matcher verifies its ten best candidates: every work that could refuse is judged.
MAX_NEAR_COPIES = 10
# The watermark's largest change to a pixel, measured on four photographs at 256 px
# (bench/bench_screen.py: at most 10 grey levels, 99th percentile 5, mean 1.3-1.4).
WATERMARK_MAX_CHANGE = 10
LABEL_MARKS = LabelMarks(
    watermark_alg=WATERMARK_ALG,
    watermark_lattice_step_grey_levels=STEP,
    watermark_measured_max_change_grey_levels=WATERMARK_MAX_CHANGE,
    visible_label="drawn by the label stage where the call asks for one; its box is in "
    "that stage's evidence",
)


class ScreenOutput:
    name = "screen"

    def run(self, call: CallContext, output: Output) -> StageResult:
        timings: dict[str, float] = {}
        clock = time.perf_counter()
        copies = find_near_copies(
            call.session,
            call.services,
            Image.fromarray(output.pixels),
            limit=MAX_NEAR_COPIES,
            review=True,
        )
        clock = _lap(timings, "near_copies_ms", clock)
        synthetic = assess_synthetic(call.session, call.services, output.pixels)
        clock = _lap(timings, "detectors_ms", clock)
        works = judge_works(call.session, {c.work_id for c in copies})
        reasons: list[Reason] = []
        screened = []
        for copy in copies:
            work = works.get(copy.work_id)
            if work is None:  # removed since it was indexed: nothing left to judge
                continue
            decision, reason = _decide(call, copy, work)
            screened.append(
                ScreenedWork(
                    **copy.model_dump(),
                    terms_version=work.terms_version,
                    terms=work.terms,
                    status=work.status,
                    decision=decision,
                )
            )
            if reason is not None:
                reasons.append(reason)
        # The holders' record of where their works were seen: the seal writes it.
        call.sightings.extend(c for c in copies if c.work_id in works)
        outside = None
        if isinstance(call.input, RestorationInput):
            outside, reason = _outside_mask(call, call.input, output)
            _lap(timings, "outside_mask_ms", clock)
            if reason is not None:
                reasons.append(reason)
        evidence = ScreenEvidence(
            near_copies=screened,
            synthetic=synthetic,
            outside_mask=outside,
            label_marks=LABEL_MARKS,
            versions=matcher_versions(),
            timings_ms={k: round(v, 3) for k, v in timings.items()},
        )
        codes = {r.code for r in reasons}
        outcome = (
            Outcome.REFUSED
            if "output_copies_work" in codes
            else Outcome.FLAGGED
            if reasons
            else Outcome.PASSED
        )
        return StageResult(self.name, outcome, evidence, reasons)


def _decide(call: CallContext, copy: NearCopyOut, work: WorkJudged) -> tuple[str, Reason | None]:
    if isinstance(call.input, RestorationInput):
        return "recorded", None
    if not work.binds:
        return "not_binding", None
    if work.permits_generation:
        return "allowed", None
    named = f"work {copy.work_id} ('{work.title}' by {work.creator})"
    terms = ", ".join(f"{use}: {value}" for use, value in work.terms.items())
    if copy.band is MatchBand.MATCH:
        return "refused", Reason(
            "output_copies_work",
            f"the output is a copy of {named} (score {copy.score:.2f}, {copy.inliers} "
            f"matching points), whose terms do not allow generative use ({terms})",
        )
    return "flagged", Reason(
        "resembles_work",
        f"the output partly resembles {named} (score {copy.score:.2f}), whose terms do not "
        f"allow generative use ({terms}): a person decides",
    )


def _outside_mask(
    call: CallContext, given: RestorationInput, output: Output
) -> tuple[OutsideMaskCheck, Reason | None]:
    found = changed_outside_mask(given.image, output.pixels, given.mask)
    change_map = None
    if found.changed_pixels:
        height, width = found.changed.shape
        change_map = ChangeMap(
            sha256=keep_blob(call.session, call.services.blobs, map_png(found.changed)),
            media_type="image/png",
            width=width,
            height=height,
        )
    check = OutsideMaskCheck(
        dilation_px=DILATION_PX,
        tolerance_grey_levels=TOLERANCE_GREY_LEVELS,
        checked_pixels=found.checked_pixels,
        changed_pixels=found.changed_pixels,
        changed_fraction=round(found.fraction, 6),
        regions=[ChangedRegion(**vars(r)) for r in found.regions],
        regions_total=found.regions_total,
        map=change_map,
    )
    if not found.changed_pixels:
        return check, None
    largest = found.regions[0]
    return check, Reason(
        "changed_outside_mask",
        f"the model changed {found.changed_pixels} pixels ({found.fraction:.4%} of those it "
        f"was not asked to touch) more than {check.dilation_px} px beyond the mask, in "
        f"{found.regions_total} region(s), the largest {largest.width}x{largest.height} at "
        f"({largest.x}, {largest.y}): a restoration may only touch what it was asked to",
    )


def _lap(timings: dict[str, float], name: str, started: float) -> float:
    now = time.perf_counter()
    timings[name] = (now - started) * 1000
    return now
