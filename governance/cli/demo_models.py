"""The demo's governed calls: the built-in models cleared, then judged again once the
rights holders have spoken; a released generation, a restoration waiting for review,
and refused calls, all through the HTTP API."""

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from governance.builtin.damage import damage_mask

Call = Callable[..., tuple[int, Any]]
SIZE = 256


def png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def damaged(pixels: np.ndarray, seed: int) -> tuple[bytes, bytes]:
    """A photograph with cracks and losses painted in, and the mask that marks them."""
    image = np.asarray(Image.fromarray(pixels).convert("RGB").resize((SIZE, SIZE))).copy()
    mask = damage_mask(np.random.default_rng(seed), SIZE, SIZE)
    image[mask] = (235, 230, 220)  # bare ground where the paint is lost
    return png(image), png((mask * 255).astype(np.uint8))


def model_ids(call: Call) -> dict[str, int]:
    _, body = call("the operator lists the registered models", "GET", "/v1/models", "operator")
    return {m["name"]: m["id"] for m in body["items"]}


def clearance(call: Call, model_id: int, name: str, when: str) -> dict[str, Any]:
    _, body = call(
        f"clearance of {name} {when}", "GET", f"/v1/models/{model_id}/clearance", "operator"
    )
    return dict(body)


def generation(
    call: Call, model_id: int, label: str, prompt: str, visible_label: bool = False
) -> dict[str, Any]:
    body = {
        "model": model_id,
        "prompt": prompt,
        "seed": 7,
        "width": SIZE,
        "height": SIZE,
        "visible_label": visible_label,
    }
    _, answer = call(label, "POST", "/v1/generations", "operator", json=body)
    return dict(answer)


def restoration(call: Call, model_id: int, label: str, image: bytes, mask: bytes) -> dict[str, Any]:
    _, answer = call(
        label,
        "POST",
        "/v1/restorations",
        "operator",
        files={
            "file": ("damaged.png", image, "image/png"),
            "mask": ("mask.png", mask, "image/png"),
        },
        data={"metadata": json.dumps({"model": model_id})},
    )
    return dict(answer)


def register_scraped_model(call: Call, astronaut_sha256: str) -> dict[str, Any]:
    """A fine-tune whose manifest admits a scraped copy of a registered work."""
    manifest = {
        "datasets": [
            {
                "name": "museum website scrape",
                "declared_license": "CC0-1.0",
                "legal_basis": "license",
                "acquired_at": "2026-06-01",
                "items": [{"sha256": astronaut_sha256, "source": "https://museum.example/a.png"}],
            }
        ]
    }
    body = {
        "name": "scraped-finetune",
        "kind": "generation",
        "adapter": "builtin:generation",
        "version": "1",
        "training_manifest": manifest,
    }
    _, answer = call(
        "the admin registers a fine-tune trained on a scrape",
        "POST",
        "/v1/models",
        "admin",
        json=body,
    )
    return dict(answer)


def before_works(call: Call) -> dict[str, Any]:
    ids = model_ids(call)
    generator = ids["builtin-generation"]
    first = generation(
        call,
        generator,
        "a generation before any work is registered, with a visible label",
        "a cup of coffee",
        visible_label=True,
    )
    return {"ids": ids, "released": first}


def after_works(
    call: Call,
    ids: dict[str, int],
    photographs: dict[str, np.ndarray],
    registered_sha256: dict[str, str],
    directory: Path,
    fetch: Callable[[str, str], bytes],
) -> dict[str, Any]:
    restorer, generator = ids["builtin-restoration"], ids["builtin-generation"]
    cleared = clearance(call, restorer, "builtin-restoration", "after the works arrived")
    blocked = clearance(call, generator, "builtin-generation", "after the works arrived")
    scraped = register_scraped_model(call, registered_sha256["astronaut"])
    refused_generation = generation(
        call, generator, "the same generation again (refused)", "a cup of coffee"
    )
    image, mask = damaged(photographs["astronaut"], seed=1)
    pending = restoration(call, restorer, "restore a damaged astronaut", image, mask)
    coffee, coffee_mask = damaged(photographs["coffee"], seed=2)
    refused_restoration = restoration(
        call, restorer, "restore the coffee cup (refused: no AI inference)", coffee, coffee_mask
    )
    outputs = directory / "outputs"
    outputs.mkdir(exist_ok=True)
    (outputs / "damaged-astronaut.png").write_bytes(image)
    if pending.get("output_url"):
        restored = fetch(pending["output_url"], "conservator")
        (outputs / "restoration-pending-review.png").write_bytes(restored)
    return {
        "cleared": cleared,
        "blocked": blocked,
        "scraped": scraped,
        "refused_generation": refused_generation,
        "pending": pending,
        "refused_restoration": refused_restoration,
    }


def summary(before: dict[str, Any], governed: dict[str, Any]) -> str:
    blocked, refused = governed["blocked"], governed["refused_restoration"]
    reasons = [r for u in blocked["required"] for r in blocked["uses"][u]["reasons"]]
    refusal = refused["reasons"][0]["code"] if refused.get("reasons") else "-"
    scraped = governed["scraped"].get("clearance", {}).get("verdict")
    return (
        f"Models: builtin-restoration is {governed['cleared']['verdict']}; builtin-generation "
        f"was cleared and released call {before['released'].get('id')}, then turned "
        f"{blocked['verdict']} once the works arrived ({reasons[0] if reasons else '-'}); "
        f"the scraped fine-tune is {scraped}. Calls: the same generation again is "
        f"{governed['refused_generation'].get('status')}, the damaged astronaut's restoration "
        f"is {governed['pending'].get('status')}, the coffee cup's restoration is "
        f"{refused.get('status')} ({refusal}). Outputs are in outputs/."
    )


def as_expected(before: dict[str, Any], governed: dict[str, Any]) -> bool:
    return bool(
        before["released"].get("status") == "released"
        and governed["cleared"]["verdict"] == "cleared"
        and governed["blocked"]["verdict"] == "blocked"
        and governed["scraped"].get("clearance", {}).get("verdict") == "blocked"
        and governed["refused_generation"].get("status") == "blocked"
        and governed["pending"].get("status") == "pending_review"
        and governed["refused_restoration"].get("status") == "blocked"
    )
