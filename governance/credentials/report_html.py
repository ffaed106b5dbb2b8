"""One file's verification report as a printable HTML page: what
`POST /v1/verify/report.html` serves and what `govern verify` writes beside a folder's
summary, from the one report (report.py), so both say the same in the same words.

Everything in a report may come from the file: its name, its manifest's title, signer,
agents, assertions, its XMP. Every value is escaped where it is written, and the page
holds no script and loads nothing.
"""

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from governance.credentials.report import (
    RECORD_CHECKS,
    FileOnlyReport,
    ManifestFacts,
    NoManifest,
    Regime,
    VerifyReport,
    WatermarkFound,
)
from labeling.verify_report import STYLE

TITLE = "Label verification report"
NOT_APPLICABLE = "not applicable (fingerprint only)"


@dataclass(frozen=True)
class _Cell:
    """A table cell made here (a yes/no with its class), as opposed to a value to escape:
    a type, not a string prefix, so that no text from a file can pass for markup."""

    markup: str


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _yes_no(value: bool | None, none: str = NOT_APPLICABLE) -> _Cell:
    if value is None:
        return _Cell(f'<td class="open">{_e(none)}</td>')
    return _Cell('<td class="yes">yes</td>' if value else '<td class="no">no</td>')


def _rows(pairs: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of (heading, value)."""
    cells = []
    for heading, value in pairs:
        cell = value.markup if isinstance(value, _Cell) else f"<td>{_e(value)}</td>"
        cells.append(f"<tr><th>{_e(heading)}</th>{cell}</tr>")
    return f"<table>{''.join(cells)}</table>"


def _list(values: Iterable[Any]) -> str:
    items = [_e(v) for v in values]
    return ", ".join(items) if items else "none"


def _table(head: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> str:
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def verdict(report: VerifyReport, regime: Regime) -> tuple[str, str]:
    """The regime's verdict in words, and its cell class."""
    if regime.conformant:
        return "conformant", "yes"
    if isinstance(report, FileOnlyReport) and report.undecided(regime):
        return "not established from the file alone (the service's records decide it)", "open"
    return "NOT conformant", "no"


def report_html(report: VerifyReport, title: str = TITLE) -> str:
    name = report.file.name or "(unnamed file)"
    regimes = (report.conformance.eu_ai_act_art50, report.conformance.gb_45438_2025)
    verdicts = []
    for regime in regimes:
        words, kind = verdict(report, regime)
        verdicts.append(f'<tr><th>{_e(regime.regime)}</th><td class="{kind}">{_e(words)}</td></tr>')
    sections = [
        _records_note(report),
        f"<h2>Verdicts</h2><table>{''.join(verdicts)}</table>",
        _file(report),
        _c2pa(report),
        _ai(report),
        _implicit(report),
        _marks(report),
        _record(report),
        _conformance(report, regimes),
    ]
    body = "\n".join(section for section in sections if section)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}: {_e(name)}</title>
<style>{STYLE}</style></head><body>
<h1>{_e(title)}</h1>
<p class="hash">{_e(name)}</p>
{body}
<p>Report schema version {report.schema_version}. Validation states: Trusted (signed by a
certificate that chains to a trust anchor), Valid (intact, but the signer is not anchored),
Invalid (altered or unreadable).</p>
</body></html>
"""


def _records_note(report: VerifyReport) -> str:
    if not isinstance(report, FileOnlyReport):
        return ""
    records = report.records
    anchors = "".join(f"<li>{_e(a)}</li>" for a in records.trust_anchors) or (
        "<li>none: a signed manifest is at best Valid, never Trusted</li>"
    )
    bindings = _table(("algorithm", "value"), ((b.alg, b.value) for b in records.soft_bindings))
    return (
        f'<p class="note">The service\'s records were not consulted: {_e(records.detail)}. '
        f"Not checked: {_list(records.not_checked)}.</p>"
        f"<h2>Checked against</h2><ul>{anchors}</ul>"
        f"<h2>To look this file up later</h2>{bindings}"
    )


def _file(report: VerifyReport) -> str:
    facts = report.file
    return "<h2>File</h2>" + _rows(
        [
            ("name", facts.name),
            ("SHA-256", facts.sha256),
            ("bytes", facts.bytes),
            ("media type", facts.media_type),
            ("size", f"{facts.width} x {facts.height} px"),
        ]
    )


def _c2pa(report: VerifyReport) -> str:
    c2pa = report.c2pa
    if isinstance(c2pa, NoManifest):
        return "<h2>C2PA manifest</h2><p>The file carries no C2PA manifest.</p>"
    pairs: list[tuple[str, Any]] = [("state", c2pa.state)]
    if isinstance(c2pa, ManifestFacts):
        pairs += [
            ("manifest id", c2pa.manifest_id),
            ("title", c2pa.title),
            ("signer", ", ".join(f"{k}: {v}" for k, v in c2pa.signer.items() if v) or "unknown"),
            ("actions", _plain(c2pa.actions)),
            ("digital source types", _plain(c2pa.digital_source_types)),
            ("software agents", _plain(c2pa.software_agents)),
            ("ingredients", len(c2pa.ingredients)),
            ("read from", c2pa.source),
        ]
    codes = _table(
        ("code", "kind", "explanation"),
        ((c.get("code"), c.get("kind"), c.get("explanation")) for c in c2pa.codes),
    )
    return f"<h2>C2PA manifest</h2>{_rows(pairs)}<h3>Validation codes</h3>{codes}"


def _plain(values: list[str]) -> str:
    return ", ".join(values) if values else "none"


def _ai(report: VerifyReport) -> str:
    ai = report.ai_disclosure
    pairs: list[tuple[str, Any]] = [
        ("says AI-made", _yes_no(ai.ai_made)),
        ("disclosed by", ai.disclosed_by or "nothing"),
        ("digital source types", _plain(ai.digital_source_types)),
        ("software agents", _plain(ai.software_agents)),
        ("implicit labels say AI", _yes_no(ai.implicit_labels_say_ai)),
    ]
    mining = report.training_mining
    text = "<h2>AI disclosure</h2>" + _rows(pairs)
    if mining:
        text += "<h3>Training and mining</h3>" + _table(("use", "value"), mining.items())
    return text


def _implicit(report: VerifyReport) -> str:
    implicit = report.implicit_labels
    text = "<h2>Implicit labels (XMP)</h2>"
    if implicit.tc260_aigc is None:
        text += "<p>No TC260:AIGC label.</p>"
    else:
        text += "<h3>TC260:AIGC</h3>" + _table(("field", "value"), implicit.tc260_aigc.items())
    pairs: list[tuple[str, Any]] = [
        ("IPTC DigitalSourceType", implicit.digital_source_type or "absent"),
        ("problems", "; ".join(implicit.problems) or "none"),
    ]
    if implicit.origin is not None:
        pairs.append(("ProduceID", f"{implicit.origin.produce_id}: {implicit.origin.verdict}"))
        pairs.append(("origin", implicit.origin.detail))
    return text + _rows(pairs)


def _marks(report: VerifyReport) -> str:
    mark = report.watermark
    if isinstance(mark, WatermarkFound):
        pairs: list[tuple[str, Any]] = [
            ("watermark", mark.watermark_id),
            ("confidence", f"{mark.confidence:.2f}"),
            ("geometry", mark.transform),
        ]
    else:
        pairs = [("watermark", "none found")]
    visible = report.visible_label
    if visible is not None:
        pairs.append(
            (
                "visible label (as recorded)",
                f"'{visible.text}' at the {visible.edge} edge; in this file: "
                + ("confirmed" if visible.confirmed_in_this_file else "not confirmed"),
            )
        )
    matches = report.fingerprint.matches
    text = "<h2>Watermark and fingerprint</h2>" + _rows(pairs)
    if matches:
        text += "<h3>Fingerprint matches</h3>" + _table(
            ("manifest", "call", "similarity"),
            ((m.manifest_id, m.call_id, f"{m.similarity_score:.3f}") for m in matches),
        )
    return text


def _record(report: VerifyReport) -> str:
    heading = "<h2>The service's record</h2>"
    if isinstance(report, FileOnlyReport):
        return heading + f"<p>Not consulted: {_e(report.records.detail)}.</p>"
    record = report.record
    if record is None:
        return heading + (
            "<p>None: not an output of this service that this key may be served, "
            "or unrecognisable.</p>"
        )
    recovered = record.recovered_manifest
    pairs: list[tuple[str, Any]] = [
        ("call", record.call_id),
        ("manifest", record.manifest_id),
        ("found by", f"{record.found_by} (score {record.similarity_score:.3f})"),
        ("identical to the output", _yes_no(record.identical_to_output)),
        ("agrees with the audit log", _yes_no(record.agrees_with_audit_log)),
    ]
    if recovered is not None:
        pairs.append(("the manifest kept by the service, against this file", recovered.state))
    checks = _table(
        ("check", "passed", "detail"),
        ((c.name, "yes" if c.passed else "NO", c.detail) for c in record.checks),
    )
    return heading + _rows(pairs) + (checks if record.checks else "")


def _conformance(report: VerifyReport, regimes: tuple[Regime, ...]) -> str:
    text = "<h2>Conformance</h2>"
    for regime in regimes:
        words, _ = verdict(report, regime)
        text += f"<h3>{_e(regime.regime)}: {_e(words)}</h3>" + _table(
            ("check", "passed", "detail"),
            ((c.name, passed(report, c.name, c.passed), c.detail) for c in regime.checks),
        )
    return text


def passed(report: VerifyReport, check: str, value: bool) -> str:
    """A conformance check's outcome in words; one the records decide is not checked in
    a report made from the file alone."""
    if isinstance(report, FileOnlyReport) and check in RECORD_CHECKS:
        return "not checked"
    return "yes" if value else "no"
