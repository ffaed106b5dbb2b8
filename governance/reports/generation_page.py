"""A generation report as one self-contained HTML page: inline CSS and SVG, no script.

Every value from the report is escaped. No pixels are embedded: the output may be
unreleased and the works are other holders'; where a work lies in the output is drawn as
outlines only.
"""

from html import escape

from governance.reports.generation_schema import (
    GenerationReport,
    NearItem,
    NearWork,
    Placement,
    TermsInForce,
)
from rights.terms import Use

CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;"
    "color:#111;line-height:1.45}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #bbb;padding:.2em .5em;font-size:.9em;text-align:left;"
    "vertical-align:top}code{font-size:.85em;word-break:break-all}"
    ".match{color:#b00000;font-weight:bold}.review{color:#9a5b00;font-weight:bold}"
    ".below,.not_close{color:#666}.same_picture{color:#b00000;font-weight:bold}"
    ".no{color:#b00000}.yes{color:#075e07}dt{font-weight:bold}dd{margin:0 0 .6em 1.5em}"
)
FRAME_PX = 120.0


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _cell(value: object, css: str | None = None) -> str:
    text = _e(value)
    return f'<td class="{_e(css)}">{text}</td>' if css else f"<td>{text}</td>"


def _outline(placement: Placement, width: int, height: int) -> str:
    """The output's frame and the box the work fills in it, scaled to FRAME_PX."""
    scale = FRAME_PX / max(width, height, 1)
    box = placement.work_in_output
    return (
        f'<svg role="img" aria-label="where the work lies in the output" '
        f'width="{width * scale + 2:.0f}" height="{height * scale + 2:.0f}" '
        'xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="1" y="1" width="{width * scale:.1f}" height="{height * scale:.1f}" '
        'fill="#f4f4f4" stroke="#555"/>'
        f'<rect x="{1 + box.x * scale:.1f}" y="{1 + box.y * scale:.1f}" '
        f'width="{box.width * scale:.1f}" height="{box.height * scale:.1f}" '
        'fill="none" stroke="#b00000" stroke-width="2"/></svg>'
    )


def _where(work: NearWork, width: int, height: int) -> str:
    p = work.placement
    if p is None:
        return "<td>no geometry</td>"
    b = p.work_in_output
    turned = f", turned {p.rotation_degrees:.1f}°" if abs(p.rotation_degrees) >= 0.5 else ""
    flags = "".join(
        f", {name}" for name, on in (("mirrored", p.mirrored), ("negative", p.inverted)) if on
    )
    words = (
        f"at ({b.x:.0f}, {b.y:.0f}), {b.width:.0f}×{b.height:.0f} px; scale {p.scale:.2f}"
        f"{turned}{flags}; {100 * p.work_fraction:.0f}% of the work shown"
    )
    return f"<td>{_outline(p, width, height)}<br>{_e(words)}</td>"


def _terms(terms: TermsInForce) -> str:
    uses = terms.uses
    rows = [
        f"{_e(use)}: {_e(uses[use].value)}"
        + (f" ({_e(uses[use].constraint_info)})" if uses[use].constraint_info else "")
        for use in (Use.AI_GENERATIVE_TRAINING.value, Use.AI_TRAINING.value)
    ]
    verdict = (
        '<span class="yes">allows generative use</span>'
        if terms.allows_generative_use
        else '<span class="no">does not allow generative use</span>'
    )
    return f"<td>version {terms.version}<br>{'<br>'.join(rows)}<br>{verdict}</td>"


def _work_row(work: NearWork, width: int, height: int) -> str:
    hashes = (
        f"{work.phash_distance} / {work.dhash_distance} ({work.hash_orientation})"
        if work.phash_distance is not None
        else "no hashes"
    )
    called = (
        f"{work.at_call.band}, {work.at_call.inliers} points: {work.at_call.decision}"
        if work.at_call is not None
        else "not listed"
    )
    binding = "binds" if work.binds else "binds no one"
    return (
        "<tr>"
        + _cell(work.rank)
        + f"<td>work {_e(work.work_id)}<br><code>{_e(work.work_url)}</code></td>"
        + _cell(work.band, work.band)
        + _cell(work.method)
        + _cell(work.matching_points)
        + _cell(f"{work.score:.2f}")
        + _cell(hashes)
        + _where(work, width, height)
        + _terms(work.terms)
        + _cell(f"{work.status} ({binding})")
        + _cell(called)
        + _cell(work.reading)
        + "</tr>"
    )


def _item_row(item: NearItem) -> str:
    d = item.dataset
    dataset = (
        f"{d.name} (#{d.position}): declared {d.declared_license}, concluded "
        f"{d.concluded_license}; legal basis {d.legal_basis}"
    )
    linked = "<br>".join(
        f"work {_e(w.work_id)} ({_e(w.match)}, {_e(w.distance)} bits): "
        + ("allows" if w.terms.allows_generative_use else "does not allow")
        + " generative use"
        for w in item.linked_works
    )
    return (
        "<tr>"
        + _cell(item.rank)
        + _cell(f"item {item.item_id}, #{item.position}")
        + _cell(dataset)
        + f"<td><code>{_e(item.sha256)}</code><br>{_e(item.source or 'no source given')}</td>"
        + _cell(f"{item.phash_distance} ({item.orientation})")
        + _cell(item.band, item.band)
        + f"<td>{linked or 'none'}</td>"
        + _cell(item.reading)
        + "</tr>"
    )


def _head(titles: list[str]) -> str:
    return "<tr>" + "".join(f"<th>{_e(t)}</th>" for t in titles) + "</tr>"


def render_generation_page(report: GenerationReport) -> bytes:
    r, o, b = report, report.output, report.basis
    works = "".join(_work_row(w, o.width, o.height) for w in r.works.listed)
    items = "".join(_item_row(i) for i in r.training_items.listed)
    thresholds = "".join(
        f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in r.thresholds.model_dump().items()
    )
    meanings = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in r.similarity.items())
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Generation '
        f"report, call {_e(r.call_id)}</title><style>{CSS}</style></head><body>",
        f"<h1>Generation report: call {_e(r.call_id)}</h1>",
        f"<p>Model {_e(r.model.name)} {_e(r.model.version)} (id {_e(r.model.model_id)}); "
        f"weights SHA-256 <code>{_e(r.model.weights_sha256)}</code>.</p>",
        f"<p>Asked: “{_e(r.asked.prompt)}”, seed {_e(r.asked.seed)}, "
        f"{_e(r.asked.width)}×{_e(r.asked.height)}.</p>",
        f"<p>Output SHA-256 <code>{_e(o.sha256)}</code>, {_e(o.width)}×{_e(o.height)} px; "
        f"analysed: {_e(o.analysed)}.</p>",
        f"<p>Against the registry as read at {_e(b.as_of.isoformat())}: "
        f"{_e(b.works_registered)} works (ids up to {_e(b.max_work_id)}); the model's "
        f"{_e(b.model_items)} training items.</p>",
        "<h2>Registered works nearest to the output</h2>",
        f"<p>{_e(r.works.summary)} Up to {_e(r.works.k)} are listed; "
        f"{_e(r.works.measured)} candidates were measured.</p>",
        f"<p>{_e(r.works.identity)}</p>",
    ]
    if works:
        parts.append(
            "<table>"
            + _head(
                [
                    "rank",
                    "work",
                    "band",
                    "method",
                    "matching points",
                    "score",
                    "pHash / dHash bits",
                    "where in the output",
                    "terms in force",
                    "status",
                    "at the call",
                    "reading",
                ]
            )
            + works
            + "</table>"
        )
    parts += [
        "<h2>Training items nearest to the output</h2>",
        f"<p>{_e(r.training_items.summary)} Up to {_e(r.training_items.k)} are listed.</p>",
    ]
    if items:
        parts.append(
            "<table>"
            + _head(
                [
                    "rank",
                    "item",
                    "dataset and licence",
                    "file",
                    "pHash bits",
                    "band",
                    "registered as",
                    "reading",
                ]
            )
            + items
            + "</table>"
        )
    parts += [
        "<h2>What the numbers mean</h2>",
        f"<dl>{meanings}</dl>",
        f"<table>{_head(['threshold', 'value'])}{thresholds}</table>",
        "<h2>Saliency</h2>",
        f"<p>{_e(r.saliency.reason)}</p>",
        "<h2>Verification</h2>",
        f"<p>{_e(r.verification.compares)} Tolerance: {_e(r.verification.tolerance_abs)} + "
        f"{_e(r.verification.tolerance_rel)} × |value|.</p>",
        "<ul>" + "".join(f"<li>{_e(m)}</li>" for m in r.verification.may_change) + "</ul>",
        "<h2>Limits</h2>",
        "<ul>" + "".join(f"<li>{_e(limit)}</li>" for limit in r.limits) + "</ul>",
        "</body></html>",
    ]
    return "\n".join(parts).encode("utf-8")
