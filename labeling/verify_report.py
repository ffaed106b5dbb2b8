"""A folder's verification: one summary row per file (made by the caller, keyed by the
COLUMNS below, with `found_by`: how the service's record was found, if one was), and an
HTML page of them."""

import html
from collections import Counter
from collections.abc import Sequence
from typing import Any

COLUMNS = (
    ("name", "file"),
    ("c2pa", "C2PA"),
    ("ai_made", "says AI"),
    ("watermark", "watermark"),
    ("record", "service record"),
    ("agrees", "agrees with audit log"),
    ("eu_art50", "EU Art. 50"),
    ("gb_45438", "GB 45438"),
    ("error", "error"),
)


def counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    tally: Counter[str] = Counter()
    for row in rows:
        tally["files"] += 1
        if row.get("error"):
            tally["unreadable"] += 1
            continue
        tally[f"c2pa {row['c2pa']}"] += 1
        tally["says AI"] += bool(row["ai_made"])
        tally["watermark found"] += bool(row["watermark"])
        # A fingerprint only says a file looks like an output (a restoration's input
        # does too): counted apart from the files the records name by manifest or mark.
        by_fingerprint = row.get("found_by") == "fingerprint"
        tally["found in the service's records"] += bool(row["record"]) and not by_fingerprint
        tally["looks like a service output (fingerprint only)"] += by_fingerprint
        tally["EU Art. 50 conformant"] += bool(row["eu_art50"])
        tally["GB 45438 conformant"] += bool(row["gb_45438"])
    return dict(tally)


def _cell(value: Any) -> str:
    if value is True:
        return '<td class="yes">yes</td>'
    if value is False:
        return '<td class="no">no</td>'
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def folder_html(rows: Sequence[dict[str, Any]], title: str) -> str:
    summary = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in counts(rows).items()
    )
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in COLUMNS)
    body = "".join(
        "<tr>" + "".join(_cell(row.get(key)) for key, _ in COLUMNS) + "</tr>" for row in rows
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
td.yes {{ background: #e6f4e6; }} td.no {{ background: #fbe9e9; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<table>{summary}</table>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<p>Per-file details, validation codes explained, are in report.json beside this page.</p>
</body></html>
"""
