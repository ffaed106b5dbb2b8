"""The manifest of a reviewed output, released: the same pixels signed again.

The pending output (with its own manifest store) becomes the `parentOf` ingredient of a
new manifest, so a reader sees both: what the model made and how it was labelled then,
and who released it, on which report, recorded where in the audit log. Plain data and
c2pa_sign's signer: no c2pa import here.

The released manifest repeats what a reader of the active manifest alone needs: the AI
digital source type (on the `c2pa.opened` action, describing the opened output), the
service's call assertion (model, weights, the call's audit entry) and the output's soft
bindings (the pixels, and so the watermark and fingerprint, are unchanged).
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from labeling.c2pa_manifest import (
    ACTIONS_ASSERTION,
    GENERATOR,
    PARENT_INGREDIENT_ID,
    PROJECT_ASSERTION,
    SoftBinding,
    generator_version,
    manifest_definition,
    soft_binding_assertion,
    training_mining_assertion,
)
from labeling.c2pa_sign import Ingredient, Signed, SignerConfig, sign

REVIEW_ASSERTION = "org.provenance-governance.review"
REVIEW_ASSERTION_VERSION = 1


@dataclass(frozen=True)
class ReviewerDecision:
    reviewer: str  # the holder behind the reviewing key
    reviewer_key_id: int
    decision: str  # "approve" (a released output names only approvals)
    audit_index: int  # the decision's review.decided entry
    report_sha256: str  # the report this decision was made on
    decided_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class ReviewRecord:
    call_id: int
    report_sha256: str  # the report every decision was made on
    decisions: tuple[ReviewerDecision, ...]
    approvals_needed: int

    def assertion(self) -> dict[str, Any]:
        data = {
            "version": REVIEW_ASSERTION_VERSION,
            "call_id": self.call_id,
            "status": "released",
            "report_sha256": self.report_sha256,
            "approvals_needed": self.approvals_needed,
            "decisions": [asdict(d) for d in self.decisions],
        }
        return {"label": REVIEW_ASSERTION, "data": data}


def release_manifest(
    *,
    manifest_id: str,
    title: str,
    digital_source_type: str,
    review: ReviewRecord,
    provenance: Mapping[str, Any] | None,
    soft_bindings: Sequence[SoftBinding],
    training_mining: Mapping[str, str] | None,
    media_type: str = "image/png",
) -> dict[str, Any]:
    """The released output's manifest; sign it with `sign_release` (the pending output is
    its parent ingredient, which `c2pa.opened` names)."""
    opened = {
        "action": "c2pa.opened",
        "parameters": {"ingredientIds": [PARENT_INGREDIENT_ID]},
        "digitalSourceType": digital_source_type,
    }
    published = {
        "action": "c2pa.published",
        "softwareAgent": {"name": GENERATOR, "version": generator_version()},
        "description": "released after conservator review",
    }
    assertions: list[dict[str, Any]] = [
        {"label": ACTIONS_ASSERTION, "data": {"actions": [opened, published]}},
        review.assertion(),
        *(soft_binding_assertion(b) for b in soft_bindings),
    ]
    if provenance:
        assertions.append({"label": PROJECT_ASSERTION, "data": dict(provenance)})
    if training_mining:
        assertions.append(training_mining_assertion(training_mining))
    return manifest_definition(manifest_id, title, media_type, assertions)


def sign_release(
    pending: bytes,
    manifest: dict[str, Any],
    signer: SignerConfig,
    *,
    parent_title: str,
    trust_anchors_pem: str | None = None,
    media_type: str = "image/png",
) -> Signed:
    """`pending` signed again under `manifest`, with itself (and so its own manifest
    store) as the parent ingredient. Raises c2pa_sign.SigningError / TimestampError."""
    parent = Ingredient(data=pending, media_type=media_type, title=parent_title)
    return sign(
        pending,
        media_type,
        manifest,
        signer,
        parent=parent,
        trust_anchors_pem=trust_anchors_pem,
    )


def review_assertion(assertions: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The review assertion's data among a manifest's assertions (as c2pa reports them,
    labels possibly suffixed by c2pa-rs), or None."""
    for assertion in assertions:
        label = str(assertion.get("label", ""))
        data = assertion.get("data")
        if (label == REVIEW_ASSERTION or label.startswith(f"{REVIEW_ASSERTION}__")) and (
            isinstance(data, dict)
        ):
            return data
    return None
