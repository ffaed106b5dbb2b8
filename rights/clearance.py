"""Clearance verdicts: may a model trained on these datasets be used, for each use?

An item that matches a registered work is judged by that work's terms in force
(never by the dataset's licence: declared licences of training data are often
wrong); an item that matches nothing is judged by its dataset's licence and legal
basis. The most restrictive verdict wins, per use and overall.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
# Bases under which an item that matches no registered work needs no licence of its own;
# a TDM exception leaves opt-outs to the registry, whose matches are judged separately.
BASES_WITHOUT_LICENSE = {"public_domain", "own_work", "consent", "tdm_exception"}
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


@dataclass
class UseClearance:
    use: Use
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)
    datasets: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    matched_items: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "use": self.use.value,
            "verdict": self.verdict.value,
            "reasons": self.reasons,
            "datasets": self.datasets,
            "matched_items": self.matched_items,
            "items": self.items,
            "items_listed": len(self.items),
        }


def dataset_verdict(dataset: DatasetInfo) -> tuple[Verdict, str, list[str]]:
    """The verdict for the dataset's items that match no registered work, and why."""
    # A concluded licence is somebody's check; a declared one only the distributor's claim.
    assessed = (
        dataset.concluded_license
        if dataset.concluded_license != "NOASSERTION"
        else dataset.declared_license
    )
    if dataset.legal_basis in BASES_WITHOUT_LICENSE:
        return Verdict.CLEARED, assessed, [f"legal basis: {dataset.legal_basis}"]
    assessment = assess_license(assessed)
    return _FROM_LICENSE[assessment.verdict], assessed, list(assessment.reasons)


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
) -> UseClearance:
    """The verdict for one use, with evidence per dataset and per matched item."""
    result = UseClearance(use=use, verdict=Verdict.CLEARED)
    matched_per_dataset: dict[int, set[int]] = {}
    per_item: dict[tuple[int, int], list[dict[str, Any]]] = {}
    verdicts: list[Verdict] = []
    for link in links:
        verdict, term, reason = item_verdict(use, works[link.work_id])
        verdicts.append(verdict)
        matched_per_dataset.setdefault(link.dataset_position, set()).add(link.item_position)
        per_item.setdefault((link.dataset_position, link.item_position), []).append(
            {
                "dataset": link.dataset_position,
                "item": link.item_position,
                "sha256": link.sha256,
                "source": link.source,
                "work_id": link.work_id,
                "terms_version": works[link.work_id].terms_version,
                "match": link.match,
                "distance": link.distance,
                "term": term,
                "verdict": verdict.value,
                "reason": reason,
            }
        )
        if verdict is not Verdict.CLEARED and reason not in result.reasons:
            result.reasons.append(reason)
    for dataset in datasets:
        unmatched = dataset.item_count - len(matched_per_dataset.get(dataset.position, ()))
        verdict, assessed, why = dataset_verdict(dataset)
        if unmatched > 0:
            verdicts.append(verdict)
            if verdict is not Verdict.CLEARED:
                result.reasons.append(
                    f"dataset '{dataset.name}': {unmatched} item(s) match no registered work "
                    f"and its licence {assessed} is {verdict.value}: " + "; ".join(why)
                )
        result.datasets.append(
            {
                "position": dataset.position,
                "name": dataset.name,
                "declared_license": dataset.declared_license,
                "concluded_license": dataset.concluded_license,
                "assessed_license": assessed,
                "legal_basis": dataset.legal_basis,
                "items": dataset.item_count,
                "unmatched_items": unmatched,
                "verdict_for_unmatched": verdict.value,
                "why": why,
            }
        )
    if not datasets:
        verdicts.append(Verdict.REVIEW)
        result.reasons.append("the training manifest declares no datasets")
    result.verdict = worst(verdicts)
    result.matched_items = len(per_item)
    # Items that stop the use first, so the listing's cap never hides one of them.
    ordered = sorted(
        (e for entries in per_item.values() for e in entries),
        key=lambda e: (-SEVERITY[Verdict(e["verdict"])], e["dataset"], e["item"], e["work_id"]),
    )
    result.items = ordered[:MAX_LISTED_ITEMS]
    return result
