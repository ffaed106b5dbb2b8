"""Manifest definitions for c2pa's Builder, as plain data (no c2pa import here).

Measured against c2pa-rs 0.91 (c2pa-python 0.38):
- the caller-chosen manifest `label` is honoured, so the manifest id is known before
  signing; it must read `urn:c2pa:<uuid4>` (an optional `:<generator>` suffix is allowed)
  or signing fails with "invalid Claim GUID" (`urn:uuid:...` is refused);
- `c2pa.soft-binding` is accepted as a builder assertion, with any `alg` name, when it
  decodes as the spec's soft-binding map (`alg`, `blocks: [{"scope", "value": text}]`);
  a malformed one (no blocks, a non-text value) fails signing with `claim.malformed`;
- `c2pa.opened` must name its ingredient: `parameters.ingredientIds` holding the
  ingredient's `label` (see PARENT_INGREDIENT_ID) becomes the hashed-URI reference
  c2pa-rs writes into the action; without it signing fails with
  `assertion.action.ingredientMismatch`.
"""

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Any

TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
COMPOSITE = "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
PROJECT_ASSERTION = "org.provenance-governance.call"
SOFT_BINDING_ASSERTION = "c2pa.soft-binding"
TRAINING_MINING_ASSERTION = "cawg.training-mining"
ACTIONS_ASSERTION = "c2pa.actions"
GENERATOR = "provenance-governance"
# Only links the opened action to the parent ingredient at signing time; c2pa-rs
# replaces it with the ingredient assertion's own label in the signed manifest.
PARENT_INGREDIENT_ID = "parent"

TRAINING_MINING_USES = ("data_mining", "ai_training", "ai_generative_training", "ai_inference")
TRAINING_MINING_VALUES = ("allowed", "notAllowed", "constrained")

_MANIFEST_ID = re.compile(
    r"^urn:c2pa:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[^:]+){0,2}$"
)


@dataclass(frozen=True)
class SoftBinding:
    alg: str
    value: str  # as text (a watermark id or fingerprint in hex): c2pa-rs refuses non-text values


@dataclass(frozen=True)
class CallProvenance:
    service: str
    call_id: int
    audit_index: int
    evidence_sha256: str
    model_id: int
    model_name: str
    model_version: str
    weights_sha256: str
    visible_label: dict[str, Any] | None = None


def new_manifest_id() -> str:
    """A manifest label in the form c2pa-rs accepts (`urn:c2pa:<uuid4>`)."""
    return f"urn:c2pa:{uuid.uuid4()}"


def generator_version() -> str:
    try:
        return metadata.version(GENERATOR)
    except metadata.PackageNotFoundError:
        # Running from a source tree that was never installed.
        return "0+unknown"


def generation_manifest(
    *,
    manifest_id: str,
    title: str,
    provenance: CallProvenance,
    soft_bindings: Sequence[SoftBinding],
    media_type: str = "image/png",
) -> dict[str, Any]:
    """An AI-generated image: one `c2pa.created` action with trainedAlgorithmicMedia."""
    created = {
        "action": "c2pa.created",
        "digitalSourceType": TRAINED,
        "softwareAgent": _software_agent(provenance),
    }
    return _definition(
        manifest_id=manifest_id,
        title=title,
        media_type=media_type,
        actions=[created],
        provenance=provenance,
        soft_bindings=soft_bindings,
        training_mining=None,
    )


def restoration_manifest(
    *,
    manifest_id: str,
    title: str,
    provenance: CallProvenance,
    soft_bindings: Sequence[SoftBinding],
    training_mining: Mapping[str, str] | None,
    media_type: str = "image/png",
) -> dict[str, Any]:
    """A restored image: the parent opened, then edited by the model.

    Sign it with the input file as `parent` (c2pa_sign.sign adds it as the `parentOf`
    ingredient under PARENT_INGREDIENT_ID); signing without one fails.
    `training_mining` maps a CAWG use to allowed / notAllowed / constrained; the
    project's own `restoration` use is not a CAWG key and is refused here.
    """
    opened = {"action": "c2pa.opened", "parameters": {"ingredientIds": [PARENT_INGREDIENT_ID]}}
    edited = {
        "action": "c2pa.edited",
        "digitalSourceType": COMPOSITE,
        "softwareAgent": _software_agent(provenance),
    }
    return _definition(
        manifest_id=manifest_id,
        title=title,
        media_type=media_type,
        actions=[opened, edited],
        provenance=provenance,
        soft_bindings=soft_bindings,
        training_mining=training_mining,
    )


def training_mining_assertion(training_mining: Mapping[str, str]) -> dict[str, Any]:
    """The CAWG training-and-data-mining assertion, as rights/embedded_terms.py reads it."""
    entries: dict[str, dict[str, str]] = {}
    for use, value in training_mining.items():
        if use not in TRAINING_MINING_USES:
            raise ValueError(f"{use!r} is not a CAWG training-mining use")
        if value not in TRAINING_MINING_VALUES:
            raise ValueError(f"{value!r} is not a CAWG training-mining value")
        entries[f"cawg.{use}"] = {"use": value}
    return {"label": TRAINING_MINING_ASSERTION, "data": {"entries": entries}}


def soft_binding_assertion(binding: SoftBinding) -> dict[str, Any]:
    # One block with an empty scope: the binding covers the whole image.
    return {
        "label": SOFT_BINDING_ASSERTION,
        "data": {"alg": binding.alg, "blocks": [{"scope": {}, "value": binding.value}]},
    }


def _software_agent(provenance: CallProvenance) -> dict[str, str]:
    return {"name": provenance.model_name, "version": provenance.model_version}


def _definition(
    *,
    manifest_id: str,
    title: str,
    media_type: str,
    actions: list[dict[str, Any]],
    provenance: CallProvenance,
    soft_bindings: Sequence[SoftBinding],
    training_mining: Mapping[str, str] | None,
) -> dict[str, Any]:
    if not _MANIFEST_ID.match(manifest_id):
        # c2pa-rs would refuse it only at signing time, after the id was recorded.
        raise ValueError(f"{manifest_id!r} is not a C2PA manifest id (urn:c2pa:<uuid>)")
    assertions: list[dict[str, Any]] = [
        {"label": ACTIONS_ASSERTION, "data": {"actions": actions}},
        {"label": PROJECT_ASSERTION, "data": asdict(provenance)},
        *(soft_binding_assertion(b) for b in soft_bindings),
    ]
    if training_mining:
        assertions.append(training_mining_assertion(training_mining))
    return manifest_definition(manifest_id, title, media_type, assertions)


def manifest_definition(
    manifest_id: str, title: str, media_type: str, assertions: list[dict[str, Any]]
) -> dict[str, Any]:
    """What c2pa-python's Builder takes: the service as claim generator, and the assertions."""
    return {
        "label": manifest_id,
        "claim_generator_info": [{"name": GENERATOR, "version": generator_version()}],
        "title": title,
        "format": media_type,
        "assertions": assertions,
    }
