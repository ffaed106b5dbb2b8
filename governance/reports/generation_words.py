"""What a generation report says in words: the meaning of its numbers, its readings."""

from governance.reports.generation_schema import (
    Basis,
    LinkedWork,
    Saliency,
    TermsInForce,
    Verification,
)
from governance.reports.nearest import (
    LISTED_MIN_INLIERS,
    PHASH_RADIUS,
    REVIEW_MIN_INLIERS,
    Measured,
)
from governance.reports.nearest_items import NearestItems
from rights.nearcopy import CANDIDATES, MIN_INLIERS
from rights.terms import Use

# Measured on the 17 scikit-image photographs (136 pairs, closer orientation): no two
# unrelated photographs lay closer than this by pHash; the median pair, MEDIAN_APART.
FEWEST_APART = 20
MEDIAN_APART = 30
UNRELATED = (
    f"among 17 unrelated photographs no two lay closer than {FEWEST_APART} bits "
    f"(median {MEDIAN_APART})"
)

SIMILARITY = {
    "matching_points": (
        "keypoints of the output and of the work's stored record (ORB, rights.nearcopy) that "
        "one plausible map (turn, scale, mirror, crop, negative) carries within 5 px, the "
        "most over the matcher's passes, measured for each work alone. The screen takes "
        f"{MIN_INLIERS} or more for a copy and shows {REVIEW_MIN_INLIERS} or more to a "
        f"person; the verifier reports nothing under {LISTED_MIN_INLIERS}, and on the "
        "matcher's bench unrelated pictures reached up to 9"
    ),
    "score": (
        f"matching_points / (matching_points + {MIN_INLIERS}): 0.5 at the copy bar, 0.9 at "
        "nine times it; 1 for the same pixels; 0 where no geometry was found"
    ),
    "phash_distance": (
        "bits of 64 between the output's perceptual hash and the work's, in the closer "
        "orientation (as is or mirrored); 0 is the same picture to the hash. The service "
        "takes thresholds.phash_max or fewer, with dHash within thresholds.dhash_max, for "
        f"the same picture; {UNRELATED}"
    ),
    "dhash_distance": "bits of 64 between difference hashes, in the same orientation",
    "band": (
        f"the screen's own: match (the same pixels, {MIN_INLIERS} or more points, or both "
        f"hashes within the service's bars), review ({REVIEW_MIN_INLIERS} or more points), "
        "below (anything weaker: listed to show what came nearest, never a finding)"
    ),
    "training_item_distance": (
        "bits of 64 between the output's pHash (either orientation) and the item's as its "
        "training manifest gave it: same_picture at or under thresholds.phash_max, else "
        f"not_close; {UNRELATED}"
    ),
}

IDENTITY = (
    "Who each work is (title, creator, holder) is not in this report: it is served byte "
    "for byte to operators and conservators, who may not read other holders' works. As the "
    "screen answers do, a match's id, numbers and geometry are given to every reader and "
    "its identity only to keys that may read the work, at work_url (auditors, admins, the "
    "work's holder)."
)

SALIENCY = Saliency(
    given=False,
    reason=(
        "None is given. Saliency says which inputs moved a differentiable score: here the "
        "similarity comes from keypoint matching and a geometric fit, which have no "
        "gradient, and the generator's inputs are a prompt and a seed, not pixels. A map "
        "over the output or the prompt would answer no question this report asks, and no "
        "check here could show it faithful (the restoration report's deletion and "
        "insertion curves need a mask of what the model was asked to make). Shown instead "
        "is the matcher's own evidence: where in the output each matched work lies."
    ),
)

VERIFICATION = Verification(
    compares=(
        "`govern reports verify` rebuilds the report from the call's stored output against "
        "the works with ids up to basis.max_work_id, their terms in force at basis.as_of, "
        "and the model's training items (only ever added), with the matcher of this "
        "service; every count and distance must agree exactly, placement numbers within "
        "the tolerance. Another matcher version, record format or vocabulary is a "
        "difference: its numbers are another measure."
    ),
    tolerance_abs=0.01,
    tolerance_rel=0.001,
    may_change=[
        "a work's status and binds: a dispute may be raised or resolved after the report",
        "works.measured: the candidates a search measures depend on what else the index "
        "holds; the works listed are measured alone, and a rebuild measures them again",
    ],
)

LIMITS = [
    f"A work is measured only where the screen would find it: among the word index's "
    f"{CANDIDATES} best-voted works a pass, by the same pixels, or by its hashes (within "
    f"{PHASH_RADIUS} bits by pHash); a work outside those is not in the report.",
    "Resemblance is measured as copied detail: the whole picture or a part of it (a crop, "
    "a turn, a border, a negative). A shared style, subject or composition without copied "
    "detail is not measured.",
    "Training items are compared by pHash alone (the service keeps no item's pixels): a "
    "crop or a heavy edit of an item is not found.",
    "The output analysed is the stored, labelled file; the call's screen measured the "
    "model's pixels before labelling, so its points (at_call) may differ a little.",
    "On PostgreSQL a work registered at the very moment of the report can commit with an "
    "id at or below basis.max_work_id after the report read the registry; a rebuild sees "
    "it and names it as a difference.",
]


def _terms_words(terms: TermsInForce) -> str:
    generative = terms.uses[Use.AI_GENERATIVE_TRAINING.value].value
    training = terms.uses[Use.AI_TRAINING.value].value
    verdict = "allow" if terms.allows_generative_use else "do not allow"
    return (
        f"its terms (version {terms.version}) {verdict} generative use "
        f"(ai_generative_training: {generative}, ai_training: {training})"
    )


def work_reading(m: Measured, terms: TermsInForce, screened: bool) -> str:
    distance = m.hashes[0] if m.hashes is not None else None
    if m.same_pixels:
        found = "The output has the same pixels as this work"
    elif m.band == "match" and m.points:
        found = f"A copy by the screen's bar: {m.points} matching points (score {m.score:.2f})"
    elif m.band == "match":
        found = (
            "Both perceptual hashes lie within the service's bars, but no geometry was "
            "verified: the screen takes this for a copy"
        )
    elif m.band == "review":
        found = (
            f"A partial resemblance: {m.points} matching points, at the screen's review "
            f"bar ({REVIEW_MIN_INLIERS}) but under its copy bar ({MIN_INLIERS})"
        )
    elif m.points:
        found = (
            f"Weak: {m.points} matching points, under the review bar ({REVIEW_MIN_INLIERS}), "
            "as many as unrelated pictures reach: not evidence of copying"
        )
    elif screened:
        found = (
            "Listed by the call's own screen (at_call) but not found again in the stored "
            f"output: no plausible geometry, pHash {distance} bits away"
        )
    else:
        found = (
            f"No plausible geometry; only its pHash lies {distance} bits away: not evidence "
            "of copying"
        )
    return f"{found}; {_terms_words(terms)}."


def works_summary(listed: list[Measured], basis: Basis, flat: bool) -> str:
    among = f"of the {basis.works_registered} works registered (ids up to {basis.max_work_id})"
    if flat:
        return (
            "The output is flat (its hashes carry too little detail): it matches nothing by "
            f"the screen's rule, so no work {among} is listed."
        )
    if not listed:
        return (
            f"No work {among} resembles the output by any measure the screen uses: none "
            f"verified with {LISTED_MIN_INLIERS} or more matching points, none within "
            f"{PHASH_RADIUS} bits by pHash."
        )
    nearest = listed[0]
    findings = sum(1 for m in listed if m.band != "below")
    found = (
        f"{findings} of them in the screen's match or review band"
        if findings
        else "none of them a finding: all below the screen's review bar"
    )
    return (
        f"{len(listed)} work(s) {among} listed, nearest first: {found}. The nearest is work "
        f"{nearest.work_id} (band {nearest.band}, {nearest.points} matching points)."
    )


def item_reading(distance: int, phash_max: int, linked: list[LinkedWork]) -> str:
    if distance <= phash_max:
        found = (
            f"{distance} bits apart, within the service's bar ({phash_max}): very probably "
            "the same picture as this training item"
        )
    else:
        found = (
            f"{distance} bits apart, beyond the service's bar ({phash_max}): not the same "
            "picture; listed to show how near the output comes to what the model learnt from"
        )
    if linked:
        works = ", ".join(
            f"work {w.work_id} ({'allows' if w.terms.allows_generative_use else 'does not allow'}"
            " generative use)"
            for w in linked
        )
        found += f". The item is registered as {works}"
    return found + "."


def items_summary(items: NearestItems, phash_max: int, flat: bool) -> str:
    total = f"the model's {items.total} training item(s)"
    if flat:
        return f"The output is flat: its pHash says nothing, so none of {total} is compared."
    if not items.found:
        return f"None of {total} has a perceptual hash to compare with."
    nearest = items.found[0].distance
    close = sum(1 for f in items.found if f.distance <= phash_max)
    return (
        f"{items.compared} of {total} have a pHash to compare; the nearest lies {nearest} "
        f"bits away, {close} of the {len(items.found)} listed within the service's bar "
        f"({phash_max})."
    )
