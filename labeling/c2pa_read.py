"""Reading C2PA manifests (adapter: one of the modules allowed to import c2pa).

A Reader is native and not shareable across threads, so one is made per call and
closed with `with`. Remote manifest fetching and OCSP are off: verification stays
offline. Trust anchors are explicit; without them c2pa answers `Valid` at best (with
`signingCredential.untrusted`), never `Trusted`.

Damaged labels: `inspect` reports a manifest that is present but cannot be parsed as
state `Invalid` with a `general.error` code (a regulator's finding, not a crash);
it raises ManifestReadError only when the file itself cannot be parsed, shows no
sign of C2PA data and no manifest store was supplied. `read_c2pa_manifest` raises
ManifestReadError for both.
"""

import io
import json
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import c2pa

from labeling.c2pa_manifest import PROJECT_ASSERTION, SOFT_BINDING_ASSERTION
from labeling.containers import png_chunk
from labeling.errors import ManifestReadError
from labeling.validation_codes import explain

TRAINING_MINING_LABELS = ("cawg.training-mining", "c2pa.training-mining")
_KINDS = ("success", "informational", "failure")
# c2pa-rs suffixes a label with its version (.v2) and repeated labels with __N.
_LABEL_SUFFIX = re.compile(r"(__\d+)?(\.v\d+)?$")


@dataclass(frozen=True)
class ManifestRead:
    validation_state: str | None
    active_label: str | None
    assertions: list[dict[str, Any]] = field(default_factory=list)
    validation_results: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ManifestReport:
    """The active manifest of a file, judged, in terms a report can show."""

    state: str  # "Trusted" | "Valid" | "Invalid"
    manifest_id: str | None
    codes: list[dict[str, str]]  # code, kind, explanation (plain words), detail, url?
    digital_source_types: list[str] = field(default_factory=list)
    software_agents: list[str] = field(default_factory=list)  # "name/version"
    actions: list[str] = field(default_factory=list)
    training_mining: dict[str, str] = field(default_factory=dict)  # use -> value
    provenance: dict[str, Any] | None = None  # the project's own assertion
    soft_bindings: list[dict[str, str]] = field(default_factory=list)  # alg, value
    ingredients: list[dict[str, Any]] = field(default_factory=list)
    signer: dict[str, str | None] = field(default_factory=dict)
    title: str | None = None
    source: str = "embedded"  # or "recovered": validated against a store supplied apart

    @property
    def failures(self) -> list[str]:
        return [c["code"] for c in self.codes if c["kind"] == "failure"]


def reader_context(trust_anchors_pem: str | None) -> c2pa.Context:
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if trust_anchors_pem:
        settings["trust"] = {"trust_anchors": trust_anchors_pem}
    return c2pa.Context.from_dict(settings)


def read_c2pa_manifest(
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


def inspect(
    data: bytes,
    media_type: str,
    trust_anchors_pem: str | None,
    manifest_store: bytes | None = None,
) -> ManifestReport | None:
    """The judged active manifest of `data`, or None when it carries no C2PA data.

    `manifest_store` is a store kept apart (from signing, or found through a watermark)
    for a copy whose embedded manifest was stripped. Its data hash excludes the byte
    range where the store sat, so the store is put back at that offset before checking:
    a copy that only lost its manifest then validates, any other change still breaks
    the hard binding (`assertion.dataHash.mismatch`).
    """
    try:
        with reader_context(trust_anchors_pem) as context:
            if manifest_store is None:
                return _read_report(data, media_type, None, context, "embedded")
            try:
                rejoined = _rejoin(data, media_type, manifest_store, context)
            except c2pa.C2paError:
                rejoined = None  # a format c2pa cannot embed into (WebP): judge it as it is
            if rejoined is not None:
                try:
                    report = _read_report(rejoined, media_type, None, context, "recovered")
                except c2pa.C2paError:
                    report = None
                if report is not None:
                    return report
                # Put back where this copy cannot hold it (a PNG's store in a JPEG copy,
                # say): judge the copy as it is against the store.
            return _read_report(data, media_type, manifest_store, context, "recovered")
    except c2pa.C2paError as exc:
        if manifest_store is None and not _shows_c2pa(data):
            raise ManifestReadError(f"the file cannot be parsed: {exc}") from exc
        return _unreadable(str(exc), "recovered" if manifest_store else "embedded")


def _read_report(
    data: bytes, media_type: str, store: bytes | None, context: Any, source: str
) -> ManifestReport | None:
    reader = c2pa.Reader.try_create(media_type, io.BytesIO(data), store, context)
    if reader is None:
        return None
    with reader:
        store_json = json.loads(reader.json())
        state = reader.get_validation_state()
    return _report(store_json, state, source)


@dataclass
class _Facts:
    """What the active manifest's assertions say, gathered before the report is frozen."""

    digital_source_types: list[str] = field(default_factory=list)
    software_agents: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    training_mining: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, Any] | None = None
    soft_bindings: list[dict[str, str]] = field(default_factory=list)


def _report(store_json: dict[str, Any], state: str | None, source: str) -> ManifestReport:
    manifest_id = store_json.get("active_manifest")
    manifest = (store_json.get("manifests") or {}).get(manifest_id) or {}
    results = store_json.get("validation_results") or {}
    codes = _codes(results.get("activeManifest") or {})
    for delta in results.get("ingredientDeltas") or []:
        uri = str(delta.get("ingredientAssertionURI", ""))
        codes.extend(_codes(delta.get("validationDeltas") or {}, ingredient=uri))
    if state is None:
        state = "Invalid" if any(c["kind"] == "failure" for c in codes) else "Valid"
    facts = _Facts()
    for assertion in manifest.get("assertions") or []:
        _absorb(facts, assertion)
    return ManifestReport(
        state=state,
        manifest_id=manifest_id,
        codes=codes,
        digital_source_types=facts.digital_source_types,
        software_agents=facts.software_agents,
        actions=facts.actions,
        training_mining=facts.training_mining,
        provenance=facts.provenance,
        soft_bindings=facts.soft_bindings,
        ingredients=[_ingredient(i) for i in manifest.get("ingredients") or []],
        signer=_signer(manifest.get("signature_info") or {}),
        title=manifest.get("title"),
        source=source,
    )


def _absorb(facts: _Facts, assertion: dict[str, Any]) -> None:
    label = _LABEL_SUFFIX.sub("", str(assertion.get("label", "")))
    data = assertion.get("data")
    if not isinstance(data, dict):
        return
    if label == "c2pa.actions":
        for action in data.get("actions") or []:
            _absorb_action(facts, action)
    elif label in TRAINING_MINING_LABELS:
        for key, entry in (data.get("entries") or {}).items():
            if isinstance(entry, dict) and "use" in entry:
                facts.training_mining[str(key).split(".", 1)[-1]] = str(entry["use"])
    elif label == PROJECT_ASSERTION:
        facts.provenance = data
    elif label == SOFT_BINDING_ASSERTION:
        for block in data.get("blocks") or []:
            value = block.get("value") if isinstance(block, dict) else None
            facts.soft_bindings.append({"alg": str(data.get("alg")), "value": str(value)})


def _absorb_action(facts: _Facts, action: Any) -> None:
    if not isinstance(action, dict):
        return
    facts.actions.append(str(action.get("action")))
    source_type = action.get("digitalSourceType")
    if source_type and source_type not in facts.digital_source_types:
        facts.digital_source_types.append(str(source_type))
    agent = action.get("softwareAgent")
    if isinstance(agent, dict):
        name = str(agent.get("name", ""))
        agent = f"{name}/{agent['version']}" if agent.get("version") else name
    if agent and agent not in facts.software_agents:
        facts.software_agents.append(str(agent))


def _codes(statuses: dict[str, Any], ingredient: str | None = None) -> list[dict[str, str]]:
    codes: list[dict[str, str]] = []
    for kind in _KINDS:
        for status in statuses.get(kind) or []:
            code = str(status.get("code", ""))
            entry = {
                "code": code,
                "kind": kind,
                "explanation": explain(code),
                "detail": str(status.get("explanation", "")),
            }
            if status.get("url"):
                entry["url"] = str(status["url"])
            if ingredient is not None:
                entry["ingredient"] = ingredient
            codes.append(entry)
    return codes


def _ingredient(ingredient: dict[str, Any]) -> dict[str, Any]:
    # The parent's validation as recorded when the output was signed (a tampered parent
    # does not stop signing nor make the output Invalid): it shows only here.
    results = ingredient.get("validation_results") or {}
    failures = (results.get("activeManifest") or {}).get("failure") or []
    return {
        "title": ingredient.get("title"),
        "relationship": ingredient.get("relationship"),
        "has_manifest": bool(ingredient.get("active_manifest")),
        "active_manifest": ingredient.get("active_manifest"),
        "failures": [str(f.get("code")) for f in failures],
    }


def _signer(info: dict[str, Any]) -> dict[str, str | None]:
    keys = ("issuer", "common_name", "time", "alg", "cert_serial_number")
    return {k: (str(info[k]) if info.get(k) is not None else None) for k in keys}


def _unreadable(detail: str, source: str) -> ManifestReport:
    code = {
        "code": "general.error",
        "kind": "failure",
        "explanation": explain("general.error"),
        "detail": detail,
    }
    return ManifestReport(state="Invalid", manifest_id=None, codes=[code], source=source)


def _shows_c2pa(data: bytes) -> bool:
    # A JUMBF superbox labelled c2pa: the manifest store's signature in every format.
    return b"jumb" in data and b"c2pa" in data


def _rejoin(data: bytes, media_type: str, store: bytes, context: Any) -> bytes | None:
    """`data` with `store` put back where its data-hash exclusion says it sat, if it can be."""
    embedded = c2pa.Reader.try_create(media_type, io.BytesIO(data), None, context)
    if embedded is not None:
        embedded.close()
        return None  # the copy still carries a manifest: judge the store against it as is
    with c2pa.Reader(media_type, io.BytesIO(data), store, context) as reader:
        detailed = json.loads(reader.detailed_json())
    active = (detailed.get("manifests") or {}).get(detailed.get("active_manifest")) or {}
    data_hash = (active.get("assertion_store") or {}).get("c2pa.hash.data") or {}
    exclusions = data_hash.get("exclusions") or []
    embeddable = _embeddable(media_type, store)
    if len(exclusions) != 1 or embeddable is None:
        return None
    start, length = int(exclusions[0]["start"]), int(exclusions[0]["length"])
    if length != len(embeddable) or start > len(data):
        return None
    return data[:start] + embeddable + data[start:]


def _embeddable(media_type: str, store: bytes) -> bytes | None:
    """The store wrapped as the format embeds it (a PNG caBX chunk, JPEG APP11 segments)."""
    if media_type == "image/png":
        return png_chunk(b"caBX", store)
    embed = getattr(c2pa.c2pa, "format_embeddable", None)
    if embed is None:
        return None
    with warnings.catch_warnings():
        # Deprecated in c2pa-python 0.38 with no replacement for this use yet.
        warnings.simplefilter("ignore", DeprecationWarning)
        _, embedded = embed(media_type, store)
    return bytes(embedded)
