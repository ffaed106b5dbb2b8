"""Reading C2PA manifests (adapter: one of the modules allowed to import c2pa).

A Reader is native and not shareable across threads, so one is made per call and
closed with `with`. Remote manifest fetching is off: verification stays offline.
"""

import io
from dataclasses import dataclass, field
from typing import Any

import c2pa

from labeling.errors import ManifestReadError


@dataclass(frozen=True)
class ManifestRead:
    validation_state: str | None
    active_label: str | None
    assertions: list[dict[str, Any]] = field(default_factory=list)
    validation_results: dict[str, Any] = field(default_factory=dict)


def reader_context(trust_anchors_pem: str | None) -> c2pa.Context:
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False}}
    if trust_anchors_pem:
        settings["trust"] = {"trust_anchors": trust_anchors_pem}
    return c2pa.Context.from_dict(settings)


def read_manifest(
    data: bytes, media_type: str, trust_anchors_pem: str | None = None
) -> ManifestRead | None:
    """The active manifest of `data`, or None when the file carries no C2PA data."""
    try:
        with reader_context(trust_anchors_pem) as context:
            reader = c2pa.Reader.try_create(media_type, io.BytesIO(data), None, context)
            if reader is None:
                return None
            with reader:
                active = reader.get_active_manifest() or {}
                return ManifestRead(
                    validation_state=reader.get_validation_state(),
                    active_label=active.get("label"),
                    assertions=list(active.get("assertions") or []),
                    validation_results=reader.get_validation_results() or {},
                )
    except c2pa.C2paError as exc:
        raise ManifestReadError(f"the C2PA manifest cannot be read: {exc}") from exc
