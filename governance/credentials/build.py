"""The output's C2PA manifest, built in one place and signed.

Earlier stages contribute parts (the parent ingredient, carried training-mining terms,
assertions of their own) through `ManifestParts`; the label stage adds the call's
provenance and soft bindings, and this module turns them into one signed manifest.
"""

from dataclasses import dataclass, field
from typing import Any

from governance.adapters.base import ModelKind
from governance.services import Services
from labeling.c2pa_manifest import (
    CallProvenance,
    SoftBinding,
    generation_manifest,
    restoration_manifest,
)
from labeling.c2pa_sign import Ingredient, Signed, SigningError, TimestampError, sign
from labeling.c2pa_strip import without_c2pa


@dataclass
class ManifestParts:
    """What stages before the label contribute to the output's manifest."""

    parent: Ingredient | None = None  # a restoration's input as uploaded
    training_mining: dict[str, str] = field(default_factory=dict)  # CAWG use -> value
    assertions: list[dict[str, Any]] = field(default_factory=list)  # {"label", "data"}


def build_manifest(
    kind: ModelKind,
    *,
    manifest_id: str,
    title: str,
    provenance: CallProvenance,
    soft_bindings: list[SoftBinding],
    parts: ManifestParts,
) -> dict[str, Any]:
    if kind is ModelKind.GENERATION:
        manifest = generation_manifest(
            manifest_id=manifest_id,
            title=title,
            provenance=provenance,
            soft_bindings=soft_bindings,
        )
    else:
        manifest = restoration_manifest(
            manifest_id=manifest_id,
            title=title,
            provenance=provenance,
            soft_bindings=soft_bindings,
            training_mining=parts.training_mining or None,
        )
    manifest["assertions"].extend(parts.assertions)
    return manifest


def sign_output(
    services: Services,
    png: bytes,
    manifest: dict[str, Any],
    parent: Ingredient | None,
    notes: list[str],
) -> Signed:
    """The PNG with `manifest` signed into it. Raises TimestampError or SigningError."""
    settings = services.settings
    signer = services.signing.signer
    try:
        return sign(
            png,
            "image/png",
            manifest,
            signer,
            parent=parent,
            thumbnail=settings.c2pa_thumbnail,
            trust_anchors_pem=services.c2pa_trust_anchors,
        )
    except TimestampError:
        raise
    except SigningError as exc:
        # A parent whose own manifest is damaged cannot be an ingredient as it is; the
        # restoration is still labelled, naming the parent less its unreadable store.
        stripped = without_c2pa(parent.data, parent.media_type) if parent else None
        if parent is None or stripped is None:
            raise
        notes.append(f"the input's own C2PA manifest could not be kept ({exc}); left out")
        bare = Ingredient(stripped, parent.media_type, f"{parent.title} (manifest left out)")
        return sign(
            png,
            "image/png",
            manifest,
            signer,
            parent=bare,
            thumbnail=settings.c2pa_thumbnail,
            trust_anchors_pem=services.c2pa_trust_anchors,
        )
