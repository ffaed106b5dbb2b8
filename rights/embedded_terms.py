"""Terms read from what a file carries: C2PA training-mining assertions and IPTC PLUS XMP.

The caller extracts the raw material (assertion dicts, the XMP packet); this module
only interprets it, so the rights library stays free of file-format code.
"""

from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from rights.terms import RESTRICTIVENESS, Signal, TermValue, Use

TRAINING_MINING_LABELS = ("cawg.training-mining", "c2pa.training-mining")
_STANDARD_USES = (Use.DATA_MINING, Use.AI_TRAINING, Use.AI_GENERATIVE_TRAINING, Use.AI_INFERENCE)

_PLUS_NS = "http://ns.useplus.org/ldf/xmp/1.0/"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_PLUS_VOCAB = "http://ns.useplus.org/ldf/vocab/"
_TRAINING = (Use.DATA_MINING, Use.AI_TRAINING, Use.AI_GENERATIVE_TRAINING)

# PLUS Data Mining vocabulary -> the uses it speaks for. Values not listed
# (DMI-UNSPECIFIED) say nothing.
_PLUS_MEANING: dict[str, dict[Use, TermValue]] = {
    "DMI-ALLOWED": {u: TermValue.ALLOWED for u in _TRAINING},
    "DMI-PROHIBITED": {u: TermValue.NOT_ALLOWED for u in _TRAINING},
    "DMI-PROHIBITED-AIMLTRAINING": {
        Use.AI_TRAINING: TermValue.NOT_ALLOWED,
        Use.AI_GENERATIVE_TRAINING: TermValue.NOT_ALLOWED,
    },
    "DMI-PROHIBITED-GENAIMLTRAINING": {Use.AI_GENERATIVE_TRAINING: TermValue.NOT_ALLOWED},
    "DMI-PROHIBITED-EXCEPTSEARCHENGINEINDEXING": {u: TermValue.NOT_ALLOWED for u in _TRAINING},
    "DMI-PROHIBITED-SEECONSTRAINT": {u: TermValue.CONSTRAINED for u in _TRAINING},
    "DMI-PROHIBITED-SEEEMBEDDEDRIGHTSEXPR": {u: TermValue.CONSTRAINED for u in _TRAINING},
    "DMI-PROHIBITED-SEELINKEDRIGHTSEXPR": {u: TermValue.CONSTRAINED for u in _TRAINING},
}


def terms_from_assertions(
    assertions: Iterable[Mapping[str, Any]], validation_state: str | None
) -> dict[Use, Signal]:
    """Signals from training-mining assertions of a file's active manifest.

    Reservations count whatever the manifest's validation state: a restriction
    from an untrusted signer is still a restriction. The state is recorded.
    """
    signals: dict[Use, Signal] = {}
    for assertion in assertions:
        label = str(assertion.get("label", ""))
        base = label.split(".v")[0] if ".v" in label else label
        if base not in TRAINING_MINING_LABELS:
            continue
        prefix = base.split(".")[0]
        source = f"c2pa:{base}"
        detail = {"validation_state": validation_state}
        data = assertion.get("data")
        entries = data.get("entries") if isinstance(data, Mapping) else None
        if not isinstance(entries, Mapping):
            # Someone meant to reserve something; unreadable, it reserves every use.
            for use in _STANDARD_USES:
                unreadable = Signal(source, TermValue.CONSTRAINED, "unreadable assertion", detail)
                _keep_stricter(signals, use, unreadable)
            continue
        for use in _STANDARD_USES:
            entry = entries.get(f"{prefix}.{use.value}")
            signal = _entry_signal(entry, source, detail)
            if signal is not None:
                _keep_stricter(signals, use, signal)
    _restoration_follows_inference(signals)
    return signals


def _entry_signal(entry: Any, source: str, detail: dict[str, Any]) -> Signal | None:
    if entry is None:
        return None
    if not isinstance(entry, Mapping):
        return Signal(source, TermValue.CONSTRAINED, f"unrecognised entry {entry!r:.100}", detail)
    try:
        value = TermValue(str(entry.get("use")))
    except ValueError:
        # An unreadable value in someone else's manifest: the safe reading is a reservation.
        return Signal(
            source, TermValue.CONSTRAINED, f"unrecognised value {entry.get('use')!r}", detail
        )
    if value is TermValue.UNKNOWN:
        return None
    info = entry.get("constraint_info")
    return Signal(source, value, info if isinstance(info, str) and info else None, detail)


def terms_from_xmp(xmp: str | None) -> dict[Use, Signal]:
    """Signals from IPTC PLUS `plus:DataMining` (and its `plus:OtherConstraints` text)."""
    if not xmp:
        return {}
    try:
        root = ElementTree.fromstring(xmp)
    except Exception:
        return {}
    values = _plus_values(root, "DataMining")
    constraint = " ".join(_plus_values(root, "OtherConstraints")) or None
    signals: dict[Use, Signal] = {}
    for raw in values:
        code = raw.rsplit("/", 1)[-1] if raw.startswith(_PLUS_VOCAB) else raw
        for use, value in _PLUS_MEANING.get(code, {}).items():
            info = (constraint or code) if value is TermValue.CONSTRAINED else None
            signal = Signal("xmp:plus:DataMining", value, info, {"plus_value": code})
            _keep_stricter(signals, use, signal)
    return signals


def _plus_values(root: Element, name: str) -> list[str]:
    """A PLUS property may be written as an attribute, a simple element or an rdf container."""
    tag = f"{{{_PLUS_NS}}}{name}"
    found: list[str] = []
    for element in root.iter():
        if tag in element.attrib:
            found.append(element.attrib[tag].strip())
        if element.tag == tag:
            resource = element.attrib.get(f"{{{_RDF_NS}}}resource")
            if resource:
                found.append(resource.strip())
            items = [li.text or "" for li in element.iter(f"{{{_RDF_NS}}}li")]
            found.extend(i.strip() for i in items if i.strip())
            if not items and element.text and element.text.strip():
                found.append(element.text.strip())
    return found


def _keep_stricter(signals: dict[Use, Signal], use: Use, signal: Signal) -> None:
    current = signals.get(use)
    if current is None or RESTRICTIVENESS[signal.value] > RESTRICTIVENESS[current.value]:
        signals[use] = signal


def _restoration_follows_inference(signals: dict[Use, Signal]) -> None:
    # Standard manifests know no 'restoration'; restoring with a model is AI inference.
    inference = signals.get(Use.AI_INFERENCE)
    if inference is not None and Use.RESTORATION not in signals:
        signals[Use.RESTORATION] = Signal(
            inference.source,
            inference.value,
            inference.constraint_info,
            {**inference.detail, "via": "ai_inference"},
        )
