"""Per-regime conformance of a file's labels, from what verification found.

EU AI Act Art. 50(2) with its Code of Practice asks for machine-readable marking
(signed metadata) and an imperceptible watermark, both detectable. China's labelling
Measures with GB 45438-2025 ask for an implicit label in the file's metadata and, for
images, a visible label at an edge whose text is at least 5% of the shorter side tall.
"""

from dataclasses import asdict, dataclass, field
from typing import Any

AI_SOURCE_TYPES = frozenset(
    {
        "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
        "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia",
    }
)
MIN_VISIBLE_RATIO = 0.05


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Regime:
    regime: str
    conformant: bool
    checks: list[Check] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def discloses_ai(source_types: list[str]) -> bool:
    return any(t in AI_SOURCE_TYPES for t in source_types)


def eu_art50(
    *, manifest_state: str | None, source_types: list[str], watermark_found: bool
) -> Regime:
    if manifest_state is None:
        marking = Check("machine_readable_marking", False, "the file carries no C2PA manifest")
    elif manifest_state == "Invalid":
        marking = Check(
            "machine_readable_marking", False, "the file's C2PA manifest does not validate"
        )
    elif not discloses_ai(source_types):
        marking = Check(
            "machine_readable_marking",
            False,
            "the manifest is signed but names no AI digital source type",
        )
    else:
        marking = Check(
            "machine_readable_marking",
            True,
            f"a signed C2PA manifest ({manifest_state}) says the content is AI-made",
        )
    watermark = Check(
        "detectable_watermark",
        watermark_found,
        "an imperceptible watermark was detected"
        if watermark_found
        else "no watermark this service can read was detected",
    )
    checks = [marking, watermark]
    return Regime("EU AI Act Art. 50(2)", all(c.passed for c in checks), checks)


def gb45438(
    *,
    aigc: dict[str, str] | None,
    aigc_problems: list[str],
    visible: dict[str, Any] | None,
    width: int,
    height: int,
    origin: Check | None = None,
) -> Regime:
    """`origin`: what the producer named in the label says of it (is it its label, of
    this file?); None where no producer can say (another's label is judged by its
    fields alone)."""
    if aigc is None:
        implicit = Check("implicit_label", False, "no XMP TC260:AIGC label in the file")
    elif aigc_problems:
        implicit = Check("implicit_label", False, "; ".join(aigc_problems))
    elif origin is not None and not origin.passed:
        # A well-formed label copied from another file labels that file, not this one.
        implicit = Check("implicit_label", False, origin.detail)
    else:
        implicit = Check(
            "implicit_label",
            True,
            f"TC260:AIGC present: Label {aigc.get('Label')}, "
            f"producer {aigc.get('ContentProducer')}, id {aigc.get('ProduceID')}"
            + (f"; {origin.detail}" if origin is not None else ""),
        )
    checks = [implicit, _visible_check(visible, width, height)]
    return Regime("GB 45438-2025", all(c.passed for c in checks), checks)


def _visible_check(visible: dict[str, Any] | None, width: int, height: int) -> Check:
    if not visible:
        # The same words whether the service has no such record or withholds it from this
        # caller: the difference would reveal an output the caller may not be served.
        return Check(
            "visible_label",
            False,
            "no visible label on record for this file among the outputs the service may "
            "show this caller (labels are not read from pixels)",
        )
    if visible.get("confirmed_in_this_file") is False:
        return Check(
            "visible_label",
            False,
            f"a visible label '{visible.get('text')}' was drawn on the output, but this "
            f"copy has another shape ({width}x{height}): it may have been cropped off",
        )
    # The label is declared by the signed record, not read back from the pixels; a
    # resized copy keeps its proportions, so the declared ratio still holds.
    declared_side = int(visible.get("shorter_side_px") or min(width, height)) or 1
    ratio = int(visible.get("height_px", 0)) / declared_side
    passed = ratio >= MIN_VISIBLE_RATIO
    return Check(
        "visible_label",
        passed,
        f"'{visible.get('text')}' at the {visible.get('edge')} edge, text height "
        f"{ratio:.1%} of the shorter side (at least {MIN_VISIBLE_RATIO:.0%} required); "
        "as recorded by the service when it drew it, not read from the pixels",
    )
