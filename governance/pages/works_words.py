"""The works pages' plain words: each use, each term value, each status, each sighting, as
a holder reads them. The values themselves are the API's (rights.terms, works.schemas)."""

from typing import Any

from governance.works.nearcopy_schemas import MatchBand, MatchMethod
from governance.works.sightings import SightingOut, Source
from rights.terms import TermValue, Use

USE_LABELS = {
    Use.DATA_MINING: "Text and data mining",
    Use.AI_TRAINING: "AI training",
    Use.AI_GENERATIVE_TRAINING: "Generative AI (training and copies in outputs)",
    Use.AI_INFERENCE: "AI inference (as a model's input)",
    Use.RESTORATION: "AI restoration in this service",
}
VALUE_LABELS = {
    TermValue.UNKNOWN: "Not stated",
    TermValue.ALLOWED: "Allowed",
    TermValue.CONSTRAINED: "Allowed with conditions",
    TermValue.NOT_ALLOWED: "Not allowed",
}
STATUS_WORDS = {
    "registered": "Registered: its terms bind every call.",
    "disputed": "Disputed: it was found to copy an earlier work of another holder, so its "
    "terms bind no one until an admin resolves the dispute.",
    "upheld": "Dispute upheld: an admin found for this work, and its terms bind.",
    "rejected": "Dispute rejected: an admin found against this work; its terms never bind.",
}
METHOD_WORDS = {
    MatchMethod.EXACT: "the same pixels",
    MatchMethod.HASH: "matching perceptual hashes",
    MatchMethod.LOCAL_FEATURES: "matching local features",
}
BAND_WORDS = {
    MatchBand.MATCH: "a copy",
    MatchBand.REVIEW: "a partial resemblance, for a person to judge",
}


def value_words(term: dict[str, Any] | str | None) -> tuple[TermValue, str]:
    """A term as the API writes it (`{"use": value, ...}` or a bare value): its value and
    what it says; a value the service does not know reads as not stated."""
    raw = term.get("use") if isinstance(term, dict) else term
    try:
        value = TermValue(raw) if raw is not None else TermValue.UNKNOWN
    except ValueError:
        value = TermValue.UNKNOWN
    words = VALUE_LABELS[value]
    conditions = term.get("constraint_info") if isinstance(term, dict) else None
    if value is TermValue.CONSTRAINED and conditions:
        words += f": {conditions}"
    return value, words


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def where_seen(sighting: SightingOut) -> str:
    if sighting.source is Source.CALL:
        return f"the output of governed call {sighting.call_id}"
    digest = (sighting.file_sha256 or "")[:12]
    return f"a screened file (SHA-256 {digest}…)"


def sighting_words(sighting: SightingOut) -> str:
    """The sighting in one paragraph: the drawing's text alternative."""
    parts = [
        f"Seen in {where_seen(sighting)} on {sighting.seen_at:%Y-%m-%d %H:%M} UTC: "
        f"{BAND_WORDS[sighting.band]}, found by {METHOD_WORDS[sighting.method]}, "
        f"score {sighting.score:.2f}."
    ]
    if sighting.altered is None:
        parts.append("Whether it was altered could not be measured.")
    elif sighting.altered:
        fraction = sighting.altered_fraction or 0.0
        parts.append(
            f"Altered: {fraction:.1%} of the copy differs from the work, "
            f"in {len(sighting.altered_regions)} region(s)."
        )
    else:
        parts.append("Not altered.")
    shown = sighting.matched_in_work
    if shown is None:
        parts.append("Where it lies in the work was not verified.")
    else:
        parts.append(
            f"It shows the part of the work from ({shown.x:.0f}, {shown.y:.0f}), "
            f"{shown.width:.0f} by {shown.height:.0f} pixels (outlined in blue)."
        )
    if sighting.altered_in_work:
        boxes = "; ".join(
            f"({b.x:.0f}, {b.y:.0f}) {b.width:.0f} by {b.height:.0f}"
            for b in sighting.altered_in_work
        )
        parts.append(f"Altered regions, in the work's pixels (outlined in red): {boxes}.")
    transform = sighting.transform
    if transform is not None and (
        transform.mirrored or abs(transform.rotation_degrees) >= 1 or transform.inverted
    ):
        how = [f"turned {transform.rotation_degrees:.0f}°"] if transform.rotation_degrees else []
        how += ["mirrored"] if transform.mirrored else []
        how += ["as a negative"] if transform.inverted else []
        parts.append(f"The copy was {', '.join(how)}; the boxes are approximate.")
    return " ".join(parts)
