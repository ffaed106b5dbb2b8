"""One file's report in words, for a person at a terminal (`govern verify FILE`)."""

from collections.abc import Callable

from rich.console import Console
from rich.markup import escape

from governance.cli.verify_files import agreement
from governance.credentials.report import (
    FileOnlyReport,
    ManifestFacts,
    NoManifest,
    VerifyReport,
    WatermarkFound,
)
from governance.credentials.report_html import passed, verdict

Say = Callable[[str], None]


def print_report(report: VerifyReport, console: Console) -> None:
    # What the file says of itself is printed as text, never read as rich markup.
    def say(text: str) -> None:
        console.print(text, markup=False, highlight=False)

    c2pa = report.c2pa
    console.print(f"[bold]{escape(report.file.name)}[/bold]  sha256 {report.file.sha256}")
    if isinstance(c2pa, NoManifest):
        say("  C2PA: no manifest in the file")
    else:
        manifest_id = c2pa.manifest_id if isinstance(c2pa, ManifestFacts) else None
        say(f"  C2PA: {c2pa.state}  manifest {manifest_id}")
        for code in c2pa.codes:
            if code.get("kind") != "success":
                say(f"    {code['code']}: {code['explanation']}")
    ai = report.ai_disclosure
    agents = ", ".join(ai.software_agents) or "none named"
    say(
        f"  says AI: {'yes' if ai.ai_made else 'no'} ({ai.disclosed_by or 'no manifest'}); "
        f"software agent: {agents}"
    )
    if report.training_mining:
        terms = ", ".join(f"{k}: {v}" for k, v in report.training_mining.items())
        say(f"  training and mining: {terms}")
    implicit = report.implicit_labels
    say(
        f"  implicit labels: TC260:AIGC {'present' if implicit.tc260_aigc else 'absent'}"
        + (f" ({'; '.join(implicit.problems)})" if implicit.problems else "")
        + f"; IPTC DigitalSourceType {implicit.digital_source_type or 'absent'}"
    )
    mark = report.watermark
    say(
        f"  watermark: {mark.watermark_id} (geometry: {mark.transform})"
        if isinstance(mark, WatermarkFound)
        else "  watermark: none found"
    )
    _print_record(report, say)
    for regime in (report.conformance.eu_ai_act_art50, report.conformance.gb_45438_2025):
        words, _ = verdict(report, regime)
        say(f"  {regime.regime}: {words}")
        for check in regime.checks:
            outcome = passed(report, check.name, check.passed)
            label = {"yes": "ok ", "no": "no "}.get(outcome, "-- ")  # "--": not checked
            say(f"    {label} {check.name}: {check.detail}")


def _print_record(report: VerifyReport, say: Say) -> None:
    if isinstance(report, FileOnlyReport):
        records = report.records
        say(f"  record: not consulted ({records.detail})")
        anchors = "; ".join(records.trust_anchors) or "none (a manifest is at best Valid)"
        say(f"  trust anchors: {anchors}")
        bindings = ", ".join(f"{b.alg} {b.value}" for b in records.soft_bindings)
        say(f"  to look it up later: {bindings}")
        return
    record = report.record
    if record:
        say(
            f"  service record: call {record.call_id}, manifest {record.manifest_id} "
            f"(found by {record.found_by}); identical to the output: "
            f"{'yes' if record.identical_to_output else 'no'}; agrees with the audit log: "
            f"{agreement(record.agrees_with_audit_log, 'yes', 'NO')}"
        )
        if record.recovered_manifest:
            state = record.recovered_manifest.state
            say(
                f"    the manifest kept by the service checks against this file as {state}"
                + (": the file is not the one that was signed" if state == "Invalid" else "")
            )
        # A reviewed output's decisions, and whether its release manifest names them.
        for check in record.checks:
            if check.name in ("review", "manifest_names_review"):
                say(f"    {'ok' if check.passed else 'NO'} {check.name}: {check.detail}")
    else:
        say("  service record: none (not an output of this service, or unrecognisable)")
    origin = report.implicit_labels.origin
    if origin is not None:
        say(f"  implicit label's ProduceID: {origin.verdict}: {origin.detail}")
