"""A call's stages in words: what each stage's recorded evidence says, sentence by
sentence, read from the record at the evidence version it was written with
(governance/pipeline/evidence.py). A version this page does not know is left to the raw
record shown beside the words."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

Words = Callable[[dict[str, Any]], list[str]]

TITLES = {
    "authenticate": "Who asked",
    "clearance": "The model's clearance",
    "input_rights": "The input's rights",
    "prompt_check": "Names in the prompt",
    "model": "The model ran",
    "screen": "Screening the output",
    "label": "The label (Content Credentials)",
    "store_output": "Keeping the output",
}
OUTCOMES = {
    "passed": "passed",
    "flagged": "flagged: a person decides",
    "refused": "refused the call",
    "failed": "failed",
}
STATUSES = {
    "released": "Released: the output is served to any key.",
    "pending_review": (
        "Pending review: a conservator decides before the output is released; until then "
        "it is served only to conservators, auditors and admins."
    ),
    "blocked": "Blocked: a stage refused the call, and nothing was released.",
    "failed": "Failed: the model or the service could not complete the call.",
    "rejected": (
        "Rejected by a conservator: the output, its manifest and its report are served to no one."
    ),
}


def _short(digest: object) -> str:
    text = str(digest)
    return text[:16] + "…" if len(text) > 16 else text


def _when(iso: object) -> str:
    """An ISO 8601 time as people read it, to the second, in UTC."""
    try:
        moment = datetime.fromisoformat(str(iso)).astimezone(UTC)
    except ValueError:
        return str(iso)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _terms(terms: object) -> str:
    if not isinstance(terms, dict) or not terms:
        return "no terms recorded"
    return ", ".join(f"{use.replace('_', ' ')} {value}" for use, value in sorted(terms.items()))


def _authenticate(e: dict[str, Any]) -> list[str]:
    role = str(e["role"]).replace("_", " ")
    return [f"The call was made with {e['actor'].replace(':', ' ')}, acting as {role}."]


def _clearance(e: dict[str, Any]) -> list[str]:
    index = e.get("audit_index")
    where = f", audit entry {index}" if index is not None else ""
    return [
        f"The model's latest clearance (number {e['clearance_id']}{where}), computed "
        f"{_when(e['computed_at'])}, says {e['verdict']}: a call runs only on a cleared model."
    ]


def _input_rights(e: dict[str, Any]) -> list[str]:
    matches = e["matches"]
    if not matches:
        return ["The input is not a near copy of any registered work."]
    found = []
    for m in matches:
        binds = "they bind" if m["binds"] else "they do not bind (the work is disputed)"
        found.append(
            f"The input matches work {m['work_id']} ({m['band']} by {m['method']}, score "
            f"{m['score']:.2f}); its terms: {_terms(m['terms'])}; {binds}."
        )
    return found


def _prompt_check(e: dict[str, Any]) -> list[str]:
    named = e["named_works"]
    if not named:
        return ["The prompt names no registered work whose terms restrict this use."]
    return [
        f"The prompt's “{n['matched']}” reads as the {n['named']} of work {n['work_id']} "
        f"(“{n['name']}”): {n['why']}"
        for n in named
    ]


def _model(e: dict[str, Any]) -> list[str]:
    ran = e.get("run_ms")
    timing = f"ran in {ran:.0f} ms" if isinstance(ran, int | float) else "did not run"
    return [
        f"{e['name']} version {e['version']} ({e['adapter']}, weights SHA-256 "
        f"{_short(e['weights_sha256'])}) {timing}."
    ]


def _screen(e: dict[str, Any]) -> list[str]:
    found: list[str] = []
    copies = e["near_copies"]
    if not copies:
        found.append("The output is not a near copy of any registered work.")
    for c in copies:
        found.append(
            f"The output resembles work {c['work_id']} ({c['band']}, score {c['score']:.2f}); "
            f"its terms: {_terms(c['terms'])}; decision: {str(c['decision']).replace('_', ' ')}."
        )
    outside = e.get("outside_mask")
    if outside:
        beyond = (
            f"more than {outside['tolerance_grey_levels']} grey levels, "
            f"{outside['dilation_px']} px or more outside the mask"
        )
        if outside["changed_pixels"]:
            found.append(
                f"{outside['changed_pixels']} of {outside['checked_pixels']} pixels "
                f"({100 * outside['changed_fraction']:.2f}%) changed by {beyond}, in "
                f"{outside['regions_total']} region(s): a restoration may only touch what "
                "it was asked to."
            )
        else:
            found.append(
                f"No pixel changed by {beyond} ({outside['checked_pixels']} pixels checked)."
            )
    synthetic = e.get("synthetic") or {}
    detectors = synthetic.get("detectors") or []
    if detectors:
        names = ", ".join(f"{d['name']} {d['version']}: {d['verdict']}" for d in detectors)
        found.append(f"AI-made-image detectors (evidence only, never a refusal): {names}.")
    marks = e.get("label_marks")
    if marks:
        found.append(
            "The label's invisible watermark, added after this check, moves pixels by a "
            f"lattice step of {marks['watermark_lattice_step_grey_levels']:g} grey levels "
            f"(at most {marks['watermark_measured_max_change_grey_levels']} measured)."
        )
    return found


def _label(e: dict[str, Any]) -> list[str]:
    source = str(e.get("digital_source_type", "")).rsplit("/", 1)[-1]
    found = [
        f"The output was signed with a C2PA manifest {e['manifest_id']} naming the call "
        f"(audit entry {e['call_audit_index']}) and its digital source type, {source}."
    ]
    bindings = e.get("soft_bindings") or []
    if bindings:
        found.append(
            f"It carries {len(bindings)} soft binding(s) (an invisible watermark and a "
            "fingerprint), so a copy that lost its manifest can still be traced."
        )
    found.append(
        "A visible AI label was drawn on it."
        if e.get("visible_label")
        else "No visible label was drawn."
    )
    found += [str(note) for note in e.get("notes") or []]
    return found


def _store(e: dict[str, Any]) -> list[str]:
    return [
        f"The labelled output (SHA-256 {_short(e['sha256'])}) was kept: {e['bytes']:,} bytes "
        f"of {e['media_type']}."
    ]


# (stage name, evidence version) -> its words.
KNOWN: dict[tuple[str, int], Words] = {
    ("authenticate", 1): _authenticate,
    ("clearance", 1): _clearance,
    ("input_rights", 2): _input_rights,
    ("prompt_check", 2): _prompt_check,
    ("model", 1): _model,
    ("screen", 2): _screen,
    ("label", 1): _label,
    ("store_output", 1): _store,
}


def evidence_words(name: str, version: object, evidence: object) -> list[str]:
    """What the stage recorded, in sentences; empty where this page cannot say."""
    words = KNOWN.get((name, version if isinstance(version, int) else -1))
    if not isinstance(evidence, dict) or not evidence:
        return ["Nothing was recorded: the stage stopped before it had anything to show."]
    if words is None:
        return []
    try:
        return words(evidence)
    except (KeyError, TypeError, ValueError):
        # A record of an older shape under the same version: its raw JSON is shown.
        return []
