"""A folder's verification: one summary row per file (made by the caller, keyed by the
COLUMNS below, with `found_by`: how the service's record was found, if one was), and an
HTML page of them, linking each file to its own page where the caller wrote one.

Everything a row holds comes from files (their names, their manifests): it is escaped."""

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
    """Tallies of the rows. A conformance cell counts only when it is True: a file checked
    alone may say "not established" where the service's records decide."""
    tally: Counter[str] = Counter()
    for row in rows:
        tally["files"] += 1
        if row.get("error"):
            tally["unreadable"] += 1
            continue
        tally[f"c2pa {row['c2pa']}"] += 1
        tally["says AI"] += bool(row["ai_made"])
        tally["watermark found"] += bool(row["watermark"])
        if row.get("consulted", True) is False:
            # Nothing found in records nobody asked: not counted as "none found".
            tally["service's records not consulted"] += 1
        else:
            # A fingerprint only says a file looks like an output (a restoration's input
            # does too): counted apart from the files the records name by manifest or mark.
            by_fingerprint = row.get("found_by") == "fingerprint"
            tally["found in the service's records"] += bool(row["record"]) and not by_fingerprint
            tally["looks like a service output (fingerprint only)"] += by_fingerprint
        tally["EU Art. 50 conformant"] += row["eu_art50"] is True
        tally["GB 45438 conformant"] += row["gb_45438"] is True
    return dict(tally)


# Shared with each file's own page (governance/credentials/report_html.py): one look.
STYLE = """
body { font-family: sans-serif; margin: 2em; max-width: 80em; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td.yes { background: #e6f4e6; } td.no { background: #fbe9e9; } td.open { background: #fff4d6; }
p.note { border: 2px solid #d9a400; background: #fff8e1; padding: 0.6em 1em; }
code, .hash { font-family: monospace; word-break: break-all; }
@media print { body { margin: 0; } a { color: inherit; text-decoration: none; } }
"""


def _cell(value: Any) -> str:
    if value is True:
        return '<td class="yes">yes</td>'
    if value is False:
        return '<td class="no">no</td>'
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


def _name_cell(name: Any, link: str | None) -> str:
    if link is None:
        return _cell(name)
    return f'<td><a href="{html.escape(link)}">{html.escape(str(name))}</a></td>'


def folder_html(
    rows: Sequence[dict[str, Any]],
    title: str,
    *,
    links: Sequence[str | None] | None = None,
    note: str | None = None,
) -> str:
    """The summary page; `links[i]` is row i's own page (relative), `note` a caution
    shown above the tables (how the files were checked, what was not)."""
    summary = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in counts(rows).items()
    )
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in COLUMNS)
    links = links if links is not None else [None] * len(rows)
    body = "".join(
        "<tr>"
        + _name_cell(row.get("name"), link)
        + "".join(_cell(row.get(key)) for key, _ in COLUMNS[1:])
        + "</tr>"
        for row, link in zip(rows, links, strict=True)
    )
    caution = f'<p class="note">{html.escape(note)}</p>' if note else ""
    details = (
        "Each file's full report, validation codes explained, is linked from its name; all "
        "of them are in report.json beside this page."
        if any(links)
        else "Per-file details, validation codes explained, are in report.json beside this page."
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{STYLE}</style></head><body>
<h1>{html.escape(title)}</h1>
{caution}
<table>{summary}</table>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<p>{details}</p>
</body></html>
"""
