"""Registering, reading, re-terming and matching works over HTTP, on each database."""

import time
from datetime import UTC, datetime
from pathlib import Path

from PIL import ImageOps
from PIL.PngImagePlugin import PngInfo

from labeling.c2pa_sign import sign_manifest
from labeling.identity import generate_identity
from tests.support.helpers import auth, encode, match, photo, png_bytes, register
from tests.support.service_fixture import Service, make_service


def test_register_and_read_back(service: Service) -> None:
    response = register(
        service.client,
        service.keys["alice"],
        png_bytes("astronaut"),
        title="Astronaut",
        creator="NASA",
        license="cc0-1.0",
        terms={
            "ai_generative_training": "notAllowed",
            "ai_training": {"use": "constrained", "constraint_info": "research only"},
        },
    )
    assert response.status_code == 201, response.text
    work = response.json()
    assert work["license"] == "CC0-1.0"  # normalised SPDX
    assert work["terms"]["ai_generative_training"]["use"] == "notAllowed"
    assert work["terms"]["ai_training"] == {
        "use": "constrained",
        "constraint_info": "research only",
        "sources": [
            {"source": "declared", "use": "constrained", "constraint_info": "research only"}
        ],
    }
    assert work["terms"]["data_mining"] == {"use": "unknown", "sources": []}
    assert (work["width"], work["height"], work["media_type"]) == (512, 512, "image/png")
    assert set(work["fingerprints"]) == {"phash", "dhash", "phash_mirrored", "dhash_mirrored"}
    # The file as uploaded, which is also its reduced copy for alterations: a 512 px RGB
    # PNG reads back as it is (governance.works.nearcopy_store.reads_back_as_is).
    assert service.stored() == (1, 4, 1, 1, 1)
    assert work["status"] == "registered" and work["binds"] and work["near_copy_indexed"]
    assert work["disputed_works"] == [] and work["disputed_by"] == []
    # The detectors' say is kept on every work: none is registered here.
    assert work["synthetic"] == {
        "score": None,
        "verdict": "no_detector",
        "detectors": [],
        "failed": [],
    }
    assert (service.settings.blob_dir / work["sha256"][:2] / work["sha256"]).exists()
    for who in ("alice", "auditor", "admin"):
        got = service.client.get(f"/v1/works/{work['id']}", headers=auth(service.keys[who]))
        assert got.status_code == 200 and got.json() == work


def test_terms_history_and_terms_at_a_past_time(service: Service) -> None:
    alice = auth(service.keys["alice"])
    work = register(
        service.client, service.keys["alice"], png_bytes("coffee"), terms={"ai_training": "allowed"}
    ).json()
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    changed = service.client.put(
        f"/v1/works/{work['id']}/terms",
        headers=alice,
        json={"terms": {"ai_training": "notAllowed"}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["terms"]["ai_training"]["use"] == "notAllowed"
    assert changed.json()["terms_version"] == 2
    past = service.client.get(
        f"/v1/works/{work['id']}", headers=alice, params={"at": between.isoformat()}
    ).json()
    assert past["terms_version"] == 1 and past["terms"]["ai_training"]["use"] == "allowed"
    now = service.client.get(f"/v1/works/{work['id']}", headers=alice).json()
    assert now["terms_version"] == 2
    history = service.client.get(
        f"/v1/works/{work['id']}/terms/history", headers=auth(service.keys["auditor"])
    ).json()
    assert [v["terms"]["ai_training"]["use"] for v in history["versions"]] == [
        "allowed",
        "notAllowed",
    ]
    before = service.client.get(
        f"/v1/works/{work['id']}", headers=alice, params={"at": "2001-01-01T00:00:00Z"}
    )
    assert before.status_code == 404 and before.json()["error"] == "WorkNotFound"
    naive = service.client.get(
        f"/v1/works/{work['id']}", headers=alice, params={"at": "2030-01-01T00:00:00"}
    )
    assert naive.status_code == 422


def _training_mining_png(identity, entries: dict) -> bytes:
    manifest = {
        "claim_generator_info": [{"name": "museum-cms", "version": "1.0"}],
        "assertions": [
            {"label": "cawg.training-mining", "data": {"entries": entries}},
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            },
        ],
    }
    return sign_manifest(png_bytes("rocket"), "image/png", manifest, identity)


def test_terms_carried_by_a_c2pa_manifest(database_url: str, tmp_path: Path) -> None:
    identity = generate_identity("Lender museum")
    anchors = tmp_path / "anchors.pem"
    anchors.write_bytes(identity.root_pem)
    service = make_service(database_url, tmp_path / "data", c2pa_trust_anchors=anchors)
    signed = _training_mining_png(
        identity,
        {
            "cawg.ai_generative_training": {"use": "notAllowed"},
            "cawg.ai_inference": {"use": "notAllowed"},
            "cawg.data_mining": {"use": "constrained", "constraint_info": "ask the archive"},
        },
    )
    response = register(
        service.client,
        service.keys["alice"],
        signed,
        terms={
            "ai_generative_training": "allowed",
            "ai_inference": "allowed",
            "restoration": "allowed",
            "ai_training": "allowed",
        },
    )
    assert response.status_code == 201, response.text
    terms = response.json()["terms"]
    # The most restrictive signal wins, and every signal is kept with its source.
    assert terms["ai_generative_training"]["use"] == "notAllowed"
    assert {s["source"] for s in terms["ai_generative_training"]["sources"]} == {
        "declared",
        "c2pa:cawg.training-mining",
    }
    assert terms["ai_inference"]["use"] == "notAllowed"
    # Standard manifests know no 'restoration': it follows ai_inference.
    assert terms["restoration"]["use"] == "notAllowed"
    assert terms["data_mining"] == {
        "use": "constrained",
        "constraint_info": "ask the archive",
        "sources": [
            {
                "source": "c2pa:cawg.training-mining",
                "use": "constrained",
                "constraint_info": "ask the archive",
                "validation_state": "Trusted",
            }
        ],
    }
    assert terms["ai_training"]["use"] == "allowed"
    # A later change of the declared terms cannot lift what the file says.
    work_id = response.json()["id"]
    changed = service.client.put(
        f"/v1/works/{work_id}/terms",
        headers=auth(service.keys["alice"]),
        json={"terms": {"ai_inference": "allowed"}},
    ).json()
    assert changed["terms"]["ai_inference"]["use"] == "notAllowed"
    assert changed["terms"]["ai_generative_training"]["use"] == "notAllowed"
    service.app.state.services.engine.dispose()


def test_untrusted_manifest_still_restricts(service: Service) -> None:
    signed = _training_mining_png(
        generate_identity("Somebody"), {"cawg.ai_training": {"use": "notAllowed"}}
    )
    terms = register(service.client, service.keys["alice"], signed).json()["terms"]
    assert terms["ai_training"]["use"] == "notAllowed"
    assert terms["ai_training"]["sources"][0]["validation_state"] == "Valid"


def test_terms_carried_by_iptc_plus_xmp(service: Service) -> None:
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">'
        "<plus:DataMining rdf:resource="
        '"http://ns.useplus.org/ldf/vocab/DMI-PROHIBITED-AIMLTRAINING"/>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    info = PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    data = encode(photo("clock"), "PNG", pnginfo=info)
    terms = register(
        service.client,
        service.keys["alice"],
        data,
        terms={"ai_training": "allowed", "data_mining": "allowed"},
    ).json()["terms"]
    assert terms["ai_training"]["use"] == "notAllowed"
    assert terms["ai_generative_training"]["use"] == "notAllowed"
    assert terms["data_mining"]["use"] == "allowed"
    assert terms["ai_training"]["sources"][1] == {
        "source": "xmp:plus:DataMining",
        "use": "notAllowed",
        "plus_value": "DMI-PROHIBITED-AIMLTRAINING",
    }


def test_listing_shows_owners_their_own_and_auditors_all(service: Service) -> None:
    for name in ("astronaut", "coffee", "rocket"):
        assert register(service.client, service.keys["alice"], png_bytes(name)).status_code == 201
    assert register(service.client, service.keys["bob"], png_bytes("moon")).status_code == 201
    alice = service.client.get("/v1/works", headers=auth(service.keys["alice"])).json()
    assert alice["total"] == 3 and len(alice["items"]) == 3
    page = service.client.get(
        "/v1/works", headers=auth(service.keys["auditor"]), params={"limit": 2, "offset": 2}
    ).json()
    assert page["total"] == 4 and [w["id"] for w in page["items"]] == [3, 4]
    refused = service.client.get("/v1/works", headers=auth(service.keys["regulator"]))
    assert refused.status_code == 403


def test_match_finds_copies_and_nothing_else(service: Service) -> None:
    ids = {
        name: register(service.client, service.keys["alice"], png_bytes(name)).json()["id"]
        for name in ("astronaut", "coffee", "camera")
    }
    regulator = service.keys["regulator"]
    original = photo("astronaut")
    copies = {
        "exact": png_bytes("astronaut"),
        "jpeg-q50": encode(original, "JPEG", quality=50),
        "half-size": encode(original.resize((256, 256)), "PNG"),
        "half-size-jpeg": encode(original.resize((256, 256)), "JPEG", quality=70),
    }
    for label, data in copies.items():
        found = match(service.client, regulator, data).json()["matches"]
        assert found and found[0]["work_id"] == ids["astronaut"], label
        assert found[0]["exact"] == (label == "exact")
        assert found[0]["distance"] <= 12, label
    mirrored = match(service.client, regulator, encode(ImageOps.mirror(original))).json()
    assert mirrored["matches"][0]["work_id"] == ids["astronaut"]
    assert mirrored["matches"][0]["orientation"] == "mirrored"
    for unrelated in ("moon", "brick", "hubble_deep_field", "page"):
        response = match(service.client, regulator, png_bytes(unrelated))
        assert response.status_code == 200 and response.json()["matches"] == [], unrelated
    bad = match(service.client, regulator, b"not an image")
    assert bad.status_code == 415 and bad.json()["error"] == "NotAnImage"
    assert match(service.client, "nope", png_bytes("moon")).status_code == 401


def test_match_sees_works_registered_by_another_process(
    service: Service, database_url: str, tmp_path: Path
) -> None:
    # A second app on the same database stands for a CLI import or a second worker.
    other = make_service(database_url, tmp_path / "other")
    assert match(other.client, other.keys["regulator"], png_bytes("coins")).json()["matches"] == []
    work_id = register(service.client, service.keys["alice"], png_bytes("coins")).json()["id"]
    found = match(other.client, other.keys["regulator"], png_bytes("coins")).json()["matches"]
    assert [m["work_id"] for m in found] == [work_id]
    other.app.state.services.engine.dispose()
