"""Clearance verdicts: may a model trained on these datasets be used, for each use?

An item that matches a registered work is judged by that work's terms in force (a
dataset's licence never clears it: declared licences of training data are often
wrong), and by its dataset's licences too; an item that matches nothing by its
dataset's declared and concluded licences. The most restrictive verdict wins, per
item, per use and overall.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from rights.license_policy import LicenseVerdict, assess_license
from rights.terms import TermValue, Use


class Verdict(StrEnum):
    CLEARED = "cleared"
    REVIEW = "review"
    BLOCKED = "blocked"


SEVERITY = {Verdict.CLEARED: 0, Verdict.REVIEW: 1, Verdict.BLOCKED: 2}
_FROM_LICENSE = {
    LicenseVerdict.CLEARED: Verdict.CLEARED,
    LicenseVerdict.REVIEW: Verdict.REVIEW,
    LicenseVerdict.BLOCKED: Verdict.BLOCKED,
}
MAX_LISTED_ITEMS = 1000


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    return max(verdicts, key=SEVERITY.__getitem__, default=Verdict.CLEARED)


@dataclass(frozen=True)
class DatasetInfo:
    position: int
    name: str
    declared_license: str
    concluded_license: str
    legal_basis: str
    item_count: int


@dataclass(frozen=True)
class ItemLink:
    """A training item that matches a registered work."""

    dataset_position: int
    item_position: int
    sha256: str
    source: str | None
    work_id: int
    match: str  # "exact" (same file bytes) or "perceptual"
    distance: int


@dataclass(frozen=True)
class WorkTerms:
    work_id: int
    title: str
    creator: str
    license: str
    terms_version: int
    terms: Mapping[str, Any]  # the effective terms: use -> {"use", "constraint_info"?, "sources"}
    # False while the work is disputed, or after its dispute was rejected (rights.disputes):
    # its terms then bind no one.
    binds: bool = True


class _Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetEvidence(_Evidence):
    """How a dataset's own licences judge its items that match no registered work."""

    position: int
    name: str
    declared_license: str
    concluded_license: str
    assessed_license: str  # the licences assessed, " / "-joined; "-" for an empty dataset
    legal_basis: str
    items: int
    unmatched_items: int
    verdict_for_unmatched: Verdict
    why: list[str]


class ItemEvidence(_Evidence):
    """How one training item that matches a registered work is judged for a use."""

    dataset: int
    item: int
    sha256: str
    source: str | None
    work_id: int
    terms_version: int
    match: str  # "exact" (same file bytes) or "perceptual"
    distance: int
    term: dict[str, Any]  # the work's effective term for the use: use, constraint_info?, sources
    verdict: Verdict
    reason: str


class UseEvidence(_Evidence):
    """The verdict for one use and why: per dataset, and per matched item (capped)."""

    use: Use
    verdict: Verdict
    reasons: list[str]
    datasets: list[DatasetEvidence]
    matched_items: int
    items: list[ItemEvidence]  # the first MAX_LISTED_ITEMS, those that stop the use first
    items_listed: int


class ClearanceEvidence(_Evidence):
    """A model's clearance evidence as stored and served. A change to its keys or their
    meaning is a new schema_version; stored evidence that states none is version 1."""

    schema_version: Literal[1] = 1
    required: list[Use]  # the uses the model's kind depends on: they decide its verdict
    uses: dict[Use, UseEvidence]


def dataset_verdict(dataset: DatasetInfo) -> tuple[Verdict, str, list[str]]:
    """The verdict the dataset's own licences give its items, and why.

    Declared (the distributor's claim) and concluded (somebody's check) licences are
    both assessed and the stricter wins; the legal basis is kept as evidence but never
    lifts a licence's verdict: it is a claim too.
    """
    if dataset.item_count == 0:
        return Verdict.REVIEW, "-", ["the dataset lists no items, so nothing in it was checked"]
    # NOASSERTION says nothing, so it stands only where nothing else was said.
    stated = {dataset.declared_license, dataset.concluded_license} - {"NOASSERTION"}
    assessed = sorted(stated) or ["NOASSERTION"]
    verdicts: list[Verdict] = []
    reasons: list[str] = []
    for expression in assessed:
        assessment = assess_license(expression)
        verdicts.append(_FROM_LICENSE[assessment.verdict])
        reasons.extend(assessment.reasons)
    return worst(verdicts), " / ".join(assessed), reasons


def item_verdict(use: Use, work: WorkTerms) -> tuple[Verdict, dict[str, Any], str]:
    """How one matched work's terms in force judge `use`: (verdict, term, reason)."""
    term = dict(work.terms.get(use.value) or {"use": TermValue.UNKNOWN.value, "sources": []})
    value = TermValue(term.get("use", TermValue.UNKNOWN.value))
    named = f"work {work.work_id} ('{work.title}' by {work.creator})"
    if value is TermValue.NOT_ALLOWED:
        return Verdict.BLOCKED, term, f"{named} does not allow {use.value}"
    if value is TermValue.CONSTRAINED:
        info = term.get("constraint_info") or "no details given"
        return (
            Verdict.BLOCKED,
            term,
            f"{named} allows {use.value} only under constraints ({info}) and no licence "
            "grant is recorded",
        )
    if value is TermValue.ALLOWED:
        return Verdict.CLEARED, term, f"{named} allows {use.value}"
    assessment = assess_license(work.license)
    reason = (
        f"{named} says nothing about {use.value}; its registered licence "
        f"{work.license} is {assessment.verdict.value}"
    )
    return _FROM_LICENSE[assessment.verdict], term, reason


def clear_use(
    use: Use,
    datasets: list[DatasetInfo],
    links: list[ItemLink],
    works: Mapping[int, WorkTerms],
) -> UseEvidence:
    """The verdict for one use, with evidence per dataset and per matched item."""
    reasons: list[str] = []
    matched_per_dataset: dict[int, set[int]] = {}
    per_item: dict[tuple[int, int], list[ItemEvidence]] = {}
    verdicts: list[Verdict] = []
    own_verdicts = {d.position: dataset_verdict(d) for d in datasets}
    for link in links:
        verdict, term, reason = item_verdict(use, works[link.work_id])
        # The match may be wrong (a perceptual hash is a candidate): the item's own
        # dataset licence still binds, and the stricter of the two wins.
        own = own_verdicts[link.dataset_position][0]
        if SEVERITY[own] > SEVERITY[verdict]:
            verdict = own
            reason += f"; its dataset's licence is {own.value}"
        verdicts.append(verdict)
        matched_per_dataset.setdefault(link.dataset_position, set()).add(link.item_position)
        per_item.setdefault((link.dataset_position, link.item_position), []).append(
            ItemEvidence(
                dataset=link.dataset_position,
                item=link.item_position,
                sha256=link.sha256,
                source=link.source,
                work_id=link.work_id,
                terms_version=works[link.work_id].terms_version,
                match=link.match,
                distance=link.distance,
                term=term,
                verdict=verdict,
                reason=reason,
            )
        )
        if verdict is not Verdict.CLEARED and reason not in reasons:
            reasons.append(reason)
    evidence: list[DatasetEvidence] = []
    for dataset in datasets:
        unmatched = dataset.item_count - len(matched_per_dataset.get(dataset.position, ()))
        verdict, assessed, why = own_verdicts[dataset.position]
        if unmatched > 0 or dataset.item_count == 0:
            verdicts.append(verdict)
            if verdict is not Verdict.CLEARED:
                said = (
                    f"{unmatched} item(s) match no registered work and its licence "
                    f"({assessed}) is {verdict.value}: "
                    if dataset.item_count
                    else ""
                )
                reasons.append(f"dataset '{dataset.name}': {said}" + "; ".join(why))
        evidence.append(
            DatasetEvidence(
                position=dataset.position,
                name=dataset.name,
                declared_license=dataset.declared_license,
                concluded_license=dataset.concluded_license,
                assessed_license=assessed,
                legal_basis=dataset.legal_basis,
                items=dataset.item_count,
                unmatched_items=unmatched,
                verdict_for_unmatched=verdict,
                why=why,
            )
        )
    if not datasets:
        verdicts.append(Verdict.REVIEW)
        reasons.append("the training manifest declares no datasets")
    # Items that stop the use first, so the listing's cap never hides one of them.
    ordered = sorted(
        (e for entries in per_item.values() for e in entries),
        key=lambda e: (-SEVERITY[e.verdict], e.dataset, e.item, e.work_id),
    )
    listed = ordered[:MAX_LISTED_ITEMS]
    return UseEvidence(
        use=use,
        verdict=worst(verdicts),
        reasons=reasons,
        datasets=evidence,
        matched_items=len(per_item),
        items=listed,
        items_listed=len(listed),
    )


def carry_over(
    own: ClearanceEvidence, twin: ClearanceEvidence, twin_name: str
) -> ClearanceEvidence:
    """`own` bound by the evidence of `twin_name`, a model that runs the same weights.

    Weights trained on a work that forbids a use stay trained on it whatever manifest
    they are registered with again: per use, the stricter verdict of the two wins, and a
    reason says where it came from. The per-dataset and per-item evidence stays the
    model's own; the twin's is in the twin's clearance.
    """
    uses: dict[Use, UseEvidence] = {}
    for use, judged in own.uses.items():
        theirs = twin.uses.get(use)
        if theirs is None or theirs.verdict is Verdict.CLEARED:
            uses[use] = judged
            continue
        said = f"{twin_name} runs the same weights and is {theirs.verdict.value} for {use.value}"
        if theirs.reasons:
            said += f": {theirs.reasons[0]}"
        verdict = worst([judged.verdict, theirs.verdict])
        # First, so that the 20 reasons an audit entry keeps always include it.
        uses[use] = judged.model_copy(
            update={"verdict": verdict, "reasons": [said, *judged.reasons]}
        )
    return own.model_copy(update={"uses": uses})
