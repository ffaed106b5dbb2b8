"""The report as one self-contained HTML page: inline CSS, images as data: URIs."""

import base64
from html import escape

from explain.figures import colour_bar
from explain.schemas import Curve, RestorationReport

CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;"
    "color:#111;line-height:1.45}figure{display:inline-block;margin:.5em;vertical-align:top;"
    "max-width:280px}figure img{width:256px;image-rendering:pixelated;border:1px solid #999}"
    "figcaption{font-size:.85em}table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #bbb;padding:.2em .5em;font-size:.9em;text-align:left}"
    ".passed{color:#075e07;font-weight:bold}.failed{color:#b00000;font-weight:bold}"
    ".not{color:#666}code{font-size:.85em;word-break:break-all}"
)


def _img(data: bytes, alt: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{escape(alt)}">'


def _figure(files: dict[str, tuple[str, bytes]], name: str, caption: str) -> str:
    image = _img(files[name][1], caption)
    return f"<figure>{image}<figcaption>{escape(caption)}</figcaption></figure>"


def _verdict(value: str) -> str:
    css = {"passed": "passed", "failed": "failed"}.get(value, "not")
    return f'<span class="{css}">{escape(value)}</span>'


def _svg(curves: list[Curve], kind: str) -> str:
    """A small line chart of the deletion or insertion curves (inline SVG, no script)."""
    colours = ["#1f4e9c", "#c0392b", "#7f8c8d", "#27ae60", "#8e44ad", "#d35400"]
    lines = []
    for i, c in enumerate(curves):
        values = c.deletion if kind == "deletion" else c.insertion
        points = " ".join(
            f"{20 + 260 * x / c.fractions[-1]:.1f},{140 - 120 * max(min(y, 1.2), -0.2):.1f}"
            for x, y in zip(c.fractions, values, strict=True)
        )
        colour = colours[i % len(colours)]
        lines.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        lines.append(
            f'<text x="290" y="{20 + 14 * i}" fill="{colour}" font-size="11">'
            f"{escape(c.ranking)}</text>"
        )
    return (
        f'<svg role="img" aria-label="{kind} curves" width="460" height="160" '
        'xmlns="http://www.w3.org/2000/svg"><rect x="20" y="20" width="260" height="120" '
        'fill="none" stroke="#999"/>' + "".join(lines) + "</svg>"
    )


def render_page(report: RestorationReport, files: dict[str, tuple[str, bytes]]) -> bytes:
    r, w, h = report, report.what_changed, report.how_sure
    parts: list[str] = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Restoration '
        f"report, call {r.call_id}</title><style>{CSS}</style></head><body>",
        f"<h1>Restoration report: call {r.call_id}</h1>",
        f"<p>Model {escape(r.model.name)} {escape(r.model.version)}; weights SHA-256 "
        f"<code>{escape(r.model.weights_sha256 or 'not given')}</code>. "
        f"{escape(r.model.decomposition)}</p>",
        "<h2>What changed</h2>",
        _figure(files, "input.png", "Input as received"),
        _figure(files, "mask.png", "Mask: white is damaged"),
        _figure(
            files,
            "changed.png",
            "Changed pixels: blue inside the mask, yellow outside "
            "within the watermark's levels, red outside beyond them",
        ),
        f"<p>{w.mask_pixels} pixels ({100 * w.mask_fraction:.2f}%) were marked damaged; "
        f"{w.changed_inside_mask} of them changed. Outside the mask {w.changed_outside_mask} "
        f"pixels changed, the largest change {w.max_change_outside} grey level(s). "
        f"{escape(w.explanation)}</p>",
        "<h3>Taking the restoration apart again</h3><table><tr><th>piece</th><th>role</th>"
        "<th>SHA-256</th></tr>"
        + "".join(
            f"<tr><td>{escape(p.name)}</td><td>{escape(p.role)}</td><td><code>{p.sha256}</code></td></tr>"
            for p in r.reversibility.pieces
        )
        + f"</table><p>{escape(r.reversibility.recombine)}. Recombines exactly: "
        f"{'yes' if r.reversibility.recombines_exactly else 'no'}.</p>",
        "<h2>Why: attributions</h2>",
        f"<p>{escape(r.why.reason)}</p><p>Target: {escape(r.why.target)} Baseline: "
        f"{escape(r.why.baseline)}.</p>",
    ]
    if r.why.maps:
        parts.append(
            _img(
                colour_bar("1/1000 of max", "max", "|attribution|, log scale"),
                "colour bar: dark blue small, yellow large, log scale",
            )
        )
        if r.why.regions_capped:
            parts.append(
                f"<p>{r.why.regions_total} damaged regions; the {len(r.why.regions)} "
                "largest are explained one by one, the rest only through the whole-mask "
                "target.</p>"
            )
        for m in r.why.maps:
            parts.append(
                _figure(
                    files,
                    m.figure,
                    f"{m.method}, {m.target} output, {m.region} target: "
                    f"{100 * m.share_in_ring:.1f}% of |attribution| within the ring",
                )
            )
    parts += [
        "<h2>How sure</h2>",
        _figure(files, "uncertainty.png", "Spread of the fill under small input noise"),
        _img(
            colour_bar("0", f"{h.max_spread:.2f} levels", "spread of the fill"),
            "colour bar: 0 to the largest spread, linear",
        ),
        f"<p>{escape(h.method)}. Mean spread {h.mean_spread:.3f}, largest "
        f"{h.max_spread:.3f} grey levels. {escape(h.caveat)}</p>",
        "<h2>Is the explanation faithful?</h2>",
    ]
    f = r.faithfulness
    if not f.available:
        parts.append(f"<p>{escape(f.reason)}.</p>")
    else:
        parts.append(
            "<table><tr><th>method</th><th>output</th><th>verdict</th><th>checks</th><th>why</th></tr>"
        )
        for v in f.verdicts:
            checks = ", ".join(f"{k}: {_verdict(c)}" for k, c in sorted(v.checks.items()))
            reasons = "<br>".join(escape(x) for x in v.reasons)
            parts.append(
                f"<tr><td>{escape(v.method)}</td><td>{v.target}</td><td>{_verdict(v.verdict)}</td><td>{checks}</td><td>{reasons}</td></tr>"
            )
        parts.append(
            "</table><p>Curves: share of the target left after deleting the top-ranked "
            "pixels (lower is better), and recovered after inserting them into a black "
            "image (higher is better), over the first "
            f"{100 * r.params['curve_fraction']:.0f}% of known pixels in "
            f"{r.params['curve_steps']} equal steps. AUC ratios are the map's over a "
            "reference ranking's: below 1 is better for deletion, above 1 for insertion.</p>"
        )
        for target in ("whole", "correction"):
            chosen = [c for c in f.curves if c.target == target]
            if chosen:
                parts.append(
                    f"<h4>{target} output</h4>{_svg(chosen, 'deletion')}{_svg(chosen, 'insertion')}"
                )
        parts.append(
            "<p>Parameter-randomisation check cited: "
            f"<code>{escape(f.randomisation_sha256 or 'none')}</code>.</p>"
        )
    parts.append(
        "<h2>Not offered</h2><ul>"
        + "".join(f"<li>{escape(n.method)}: {escape(n.reason)}</li>" for n in r.not_offered)
        + "</ul>"
    )
    parts.append(
        "<h2>Limits of the method</h2><ul>"
        + "".join(f"<li>{escape(x)}</li>" for x in r.limits)
        + "</ul>"
    )
    parts.append(
        f"<h2>Reproducing</h2><p>{escape(r.tolerance.description)} Seeds and parameters: "
        f"<code>{escape(str(sorted(r.params.items())))}</code>. "
        f"torch {escape(r.environment.torch)}, captum {escape(r.environment.captum)}, "
        f"numpy {escape(r.environment.numpy)}.</p></body></html>"
    )
    return "\n".join(parts).encode("utf-8")
