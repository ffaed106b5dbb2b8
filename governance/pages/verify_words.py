"""The verify page's plain words: what a C2PA state means, what each labelling check asks
for and why, what the watermark, the record and the screen found. The findings are the
API's (`POST /v1/verify`, `POST /v1/screen`); only the words are the page's."""

from governance.credentials.report import (
    ManifestFacts,
    NoManifest,
    ServiceRecord,
    VerifyReport,
    WatermarkFound,
)
from governance.detectors.schemas import SyntheticOut, SyntheticVerdict
from governance.screening.schemas import ScreenedCopy

C2PA_MEANINGS = {
    "Trusted": "the manifest is intact and signed by a certificate that chains to a trust "
    "anchor this service knows: who made the file, and how, is established",
    "Valid": "the manifest is intact and signed, but not by a signer this service trusts: "
    "what it says is unchanged since signing, but who signed it is not established",
    "Invalid": "the manifest does not match the file (it was changed after signing) or its "
    "signature or data cannot be read: what it says cannot be relied on",
}
NO_MANIFEST = (
    "no Content Credentials: nothing in the file says where it came from or how it was "
    "made. That proves nothing either way: most files carry none, and metadata is easily "
    "stripped"
)
# What each check of the two regimes asks for, and why (labeling.conformance).
CHECKS = {
    "machine_readable_marking": (
        "Machine-readable marking",
        "Art. 50(2) asks providers to mark AI-made content in a machine-readable format: "
        "here, a signed C2PA manifest naming an AI digital source type.",
    ),
    "detectable_watermark": (
        "Detectable watermark",
        "The Code of Practice under Art. 50 asks for an imperceptible watermark as well, "
        "which survives when the metadata is stripped.",
    ),
    "implicit_label": (
        "Implicit label in the metadata",
        "GB 45438-2025 asks for an implicit label in the file's metadata: the TC260 AIGC "
        "label naming the producer and the content's ProduceID.",
    ),
    "visible_label": (
        "Visible label",
        "GB 45438-2025 asks an image to show a visible label at an edge, its text at least "
        "5% of the shorter side tall.",
    ),
}
SYNTHETIC_WORDS = {
    SyntheticVerdict.LIKELY_SYNTHETIC: "likely AI-made, by the detectors' calibrated score",
    SyntheticVerdict.NOT_FLAGGED: "not flagged (which is no finding that it is a photograph)",
    SyntheticVerdict.UNCALIBRATED: "a detector scored it, but without a calibration to read "
    "the score by",
    SyntheticVerdict.NO_DETECTOR: "no AI-made-image detector is in service to ask",
}


def c2pa_words(report: VerifyReport) -> tuple[str, str]:
    """The C2PA state, and what it means."""
    c2pa = report.c2pa
    if isinstance(c2pa, NoManifest):
        return "None", NO_MANIFEST
    meaning = C2PA_MEANINGS.get(c2pa.state, c2pa.state)
    if isinstance(c2pa, ManifestFacts) and c2pa.source != "embedded":
        meaning += " (read from the manifest the service kept: the file lost its own)"
    return c2pa.state, meaning


def disclosure_words(report: VerifyReport) -> tuple[bool, str]:
    """Whether the file says it is AI-made, and how it says so."""
    ai = report.ai_disclosure
    if ai.ai_made:
        said = f"AI-generated: the {ai.disclosed_by or 'manifest'} says so"
        if ai.digital_source_types:
            said += (
                f" (digital source type {', '.join(_short(t) for t in ai.digital_source_types)})"
            )
        if ai.implicit_labels_say_ai:
            said += ", and so does its implicit (XMP) label"
        return True, said + "."
    if ai.implicit_labels_say_ai:
        return True, "AI-generated: its implicit (XMP) label says so, though no manifest does."
    return False, "Nothing in the file says it was made with AI."


def _short(source_type: str) -> str:
    return source_type.rsplit("/", 1)[-1]


def watermark_words(report: VerifyReport) -> str:
    mark = report.watermark
    if isinstance(mark, WatermarkFound):
        seen = "as marked" if mark.transform == "none" else f"read through: {mark.transform}"
        return (
            f"Found: this service's invisible watermark {mark.watermark_id} "
            f"(confidence {mark.confidence:.2f}; {seen})."
        )
    return "None found that this service can read."


def record_words(record: ServiceRecord | None) -> str:
    if record is None:
        return (
            "None: the service has no record of this file among the outputs your key may be served."
        )
    same = (
        "is the output itself" if record.identical_to_output else "is not byte for byte the output"
    )
    agreement = {
        True: "and the file agrees with the audit log",
        False: "but the file does NOT agree with the audit log",
        None: "(a look-alike found by fingerprint: nothing to check against the log)",
    }[record.agrees_with_audit_log]
    return (
        f"Call {record.call_id}, manifest {record.manifest_id}, found by its "
        f"{record.found_by}: the file {same}, {agreement}."
    )


def copy_words(copy: ScreenedCopy) -> str:
    who = (
        f"work {copy.work_id}, “{copy.work.title}” by {copy.work.creator} ({copy.work.holder})"
        if copy.work is not None
        else f"registered work {copy.work_id} (whose holder your key may not read)"
    )
    kind = "a copy of" if copy.band.value == "match" else "a partial resemblance to"
    text = f"{kind.capitalize()} {who}, score {copy.score:.2f}"
    if copy.altered:
        text += f"; altered: {(copy.altered_fraction or 0.0):.1%} of it differs"
    elif copy.altered is False:
        text += "; not altered"
    return text + "."


def synthetic_words(synthetic: SyntheticOut) -> str:
    words = SYNTHETIC_WORDS[synthetic.verdict]
    if synthetic.score is not None:
        words += f" (score {synthetic.score:.2f})"
    return words[0].upper() + words[1:] + "."
