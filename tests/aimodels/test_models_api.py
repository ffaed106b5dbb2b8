"""The model registry and clearance, on each database."""

import hashlib

import pytest

from governance.adapters.hashing import file_sha256
from tests.support.helpers import auth, png_bytes, register
from tests.support.model_helpers import (
    FAKE_MODELS,
    counts,
    item_of,
    manifest,
    register_model,
    unrelated_item,
)
from tests.support.service_fixture import Service


def _clearance(service: Service, model_id: int) -> dict:
    response = service.client.get(
        f"/v1/models/{model_id}/clearance", headers=auth(service.keys["operator"])
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_model_trained_on_permissive_data_is_cleared(service: Service) -> None:
    body = manifest(unrelated_item(1), unrelated_item(2), license="CC-BY-4.0")
    response = register_model(service.client, service.keys["admin"], body)
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["weights_sha256"] == file_sha256(FAKE_MODELS)
    assert model["item_count"] == 2
    assert model["datasets"][0]["declared_license"] == "CC-BY-4.0"
    assert model["clearance"]["verdict"] == "cleared"
    clearance = _clearance(service, model["id"])
    assert clearance["required"] == ["data_mining", "ai_training", "ai_generative_training"]
    assert all(u["verdict"] == "cleared" for u in clearance["uses"].values())


def test_an_item_matching_a_forbidding_work_blocks_whatever_the_licence_says(
    service: Service,
) -> None:
    work = register(
        service.client,
        service.keys["alice"],
        png_bytes("astronaut"),
        terms={"ai_generative_training": "notAllowed"},
    ).json()
    # Declared CC0 by the dataset's distributor: a declared licence never clears it.
    body = manifest(item_of("astronaut"), unrelated_item(1), license="CC0-1.0")
    model = register_model(service.client, service.keys["admin"], body).json()
    assert model["clearance"]["verdict"] == "blocked"
    clearance = _clearance(service, model["id"])
    generative = clearance["uses"]["ai_generative_training"]
    assert generative["verdict"] == "blocked"
    assert generative["matched_items"] == 1
    evidence = generative["items"][0]
    assert evidence["work_id"] == work["id"]
    assert evidence["match"] == "exact"
    assert evidence["term"]["use"] == "notAllowed"
    assert evidence["term"]["sources"][0]["source"] == "declared"
    assert "does not allow ai_generative_training" in generative["reasons"][0]
    # The work says nothing of data mining: its own licence (CC-BY-4.0) decides there.
    assert clearance["uses"]["data_mining"]["verdict"] == "cleared"


def test_a_resized_copy_known_by_its_perceptual_hash_is_caught(service: Service) -> None:
    register(
        service.client,
        service.keys["alice"],
        png_bytes("chelsea"),
        terms={"ai_training": "notAllowed"},
    )
    body = manifest(item_of("chelsea", exact=False))
    model = register_model(service.client, service.keys["admin"], body).json()
    uses = _clearance(service, model["id"])["uses"]
    assert uses["ai_training"]["verdict"] == "blocked"
    assert uses["ai_training"]["items"][0]["match"] == "perceptual"
    assert uses["ai_training"]["items"][0]["distance"] <= 12


def test_constrained_terms_block_and_unknown_terms_defer_to_the_work_licence(
    service: Service,
) -> None:
    register(
        service.client,
        service.keys["alice"],
        png_bytes("coffee"),
        license="CC-BY-NC-4.0",
        terms={"ai_training": {"use": "constrained", "constraint_info": "research only"}},
    )
    model = register_model(service.client, service.keys["admin"], manifest(item_of("coffee")))
    uses = _clearance(service, model.json()["id"])["uses"]
    assert uses["ai_training"]["verdict"] == "blocked"
    assert "research only" in uses["ai_training"]["reasons"][0]
    # Nothing said about data mining; the work's NC licence needs review.
    assert uses["data_mining"]["verdict"] == "review"
    assert "CC-BY-NC-4.0" in uses["data_mining"]["reasons"][0]


@pytest.mark.parametrize(
    ("declared", "concluded", "basis", "verdict"),
    [
        ("CC-BY-NC-4.0", "NOASSERTION", "license", "review"),
        ("NOASSERTION", "NOASSERTION", "license", "review"),
        ("NONE", "NOASSERTION", "license", "blocked"),
        ("NOASSERTION", "CC-BY-4.0", "license", "cleared"),  # somebody checked
        ("CC-BY-NC-4.0", "CC-BY-4.0", "license", "review"),  # they disagree: the stricter
        ("CC0-1.0", "CC-BY-SA-4.0", "license", "review"),
        ("NONE", "MIT", "license", "blocked"),
        # A legal basis is a claim like any other: it never lifts a licence's verdict.
        ("NOASSERTION", "NOASSERTION", "own_work", "review"),
        ("NONE", "NOASSERTION", "public_domain", "blocked"),
        ("CC0-1.0", "NOASSERTION", "tdm_exception", "cleared"),
        ("MIT OR CC-BY-NC-4.0", "NOASSERTION", "license", "cleared"),
    ],
)
def test_licence_policy_judges_items_that_match_no_work(
    service: Service, declared: str, concluded: str, basis: str, verdict: str
) -> None:
    body = manifest(
        unrelated_item(1), license=declared, concluded_license=concluded, legal_basis=basis
    )
    model = register_model(service.client, service.keys["admin"], body).json()
    assert model["clearance"]["verdict"] == verdict


def test_an_empty_dataset_needs_review(service: Service) -> None:
    body = manifest(license="CC0-1.0")
    model = register_model(service.client, service.keys["admin"], body).json()
    assert model["clearance"]["verdict"] == "review"
    reasons = _clearance(service, model["id"])["uses"]["ai_training"]["reasons"]
    assert "lists no items" in reasons[0]


def test_a_matched_item_is_bound_by_its_dataset_licence_too(service: Service) -> None:
    register(
        service.client, service.keys["alice"], png_bytes("clock"), terms={"ai_training": "allowed"}
    )
    body = manifest(item_of("clock"), license="NONE")
    model = register_model(service.client, service.keys["admin"], body).json()
    uses = _clearance(service, model["id"])["uses"]
    assert uses["ai_training"]["verdict"] == "blocked"
    assert "its dataset's licence is blocked" in uses["ai_training"]["items"][0]["reason"]


def test_clearance_is_recomputed_when_terms_change_and_when_works_arrive(
    service: Service,
) -> None:
    admin, alice = service.keys["admin"], service.keys["alice"]
    model = register_model(service.client, admin, manifest(item_of("rocket"))).json()
    assert model["clearance"]["verdict"] == "cleared"
    # The work is registered after the model: the model is judged again.
    work = register(
        service.client, alice, png_bytes("rocket"), terms={"data_mining": "notAllowed"}
    ).json()
    after_work = _clearance(service, model["id"])
    assert after_work["verdict"] == "blocked"
    assert after_work["trigger"] == f"work.registered:{work['id']}"
    # The holder lifts the reservation: judged again, and each verdict is an audit entry.
    response = service.client.put(
        f"/v1/works/{work['id']}/terms",
        headers=auth(alice),
        json={
            "terms": {
                "data_mining": "allowed",
                "ai_training": "allowed",
                "ai_generative_training": "allowed",
            }
        },
    )
    assert response.status_code == 200
    after_terms = _clearance(service, model["id"])
    assert after_terms["verdict"] == "cleared"
    assert after_terms["trigger"] == f"terms.changed:{work['id']}"
    entries = service.client.get(
        f"/v1/audit/entries?subject=model:{model['id']}", headers=auth(service.keys["auditor"])
    ).json()["entries"]
    kinds = [e["kind"] for e in entries]
    assert kinds == ["model.registered", "model.clearance", "model.clearance", "model.clearance"]
    assert after_terms["audit_index"] == entries[-1]["index"]


def test_an_spdx_document_is_imported(service: Service) -> None:
    digest = hashlib.sha256(png_bytes("moon")).hexdigest()
    doc = {
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [
            {"type": "ai_AIPackage", "spdxId": "urn:m", "name": "restorer"},
            {
                "type": "dataset_DatasetPackage",
                "spdxId": "urn:d",
                "name": "scans",
                "releaseTime": "2025-05-01T00:00:00Z",
            },
            {
                "type": "software_File",
                "spdxId": "urn:f",
                "name": "moon.png",
                "verifiedUsing": [{"type": "Hash", "algorithm": "sha256", "hashValue": digest}],
            },
            {
                "type": "simplelicensing_LicenseExpression",
                "spdxId": "urn:l",
                "simplelicensing_licenseExpression": "CC-BY-4.0",
            },
            {
                "type": "Relationship",
                "spdxId": "urn:r1",
                "from": "urn:m",
                "to": ["urn:d"],
                "relationshipType": "trainedOn",
            },
            {
                "type": "Relationship",
                "spdxId": "urn:r2",
                "from": "urn:d",
                "to": ["urn:f"],
                "relationshipType": "contains",
            },
            {
                "type": "Relationship",
                "spdxId": "urn:r3",
                "from": "urn:d",
                "to": ["urn:l"],
                "relationshipType": "hasDeclaredLicense",
            },
        ],
    }
    response = register_model(service.client, service.keys["admin"], doc)
    assert response.status_code == 201, response.text
    model = response.json()
    assert model["manifest_format"] == "spdx-3.0"
    assert model["datasets"][0]["declared_license"] == "CC-BY-4.0"
    assert model["item_count"] == 1
    assert model["clearance"]["verdict"] == "cleared"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"adapter": "magic:thing"}, 422, "InvalidAdapter"),
        ({"adapter": "builtin:nonexistent"}, 422, "InvalidAdapter"),
        ({"adapter": "builtin:generation"}, 422, "InvalidAdapter"),  # kind is restoration
        ({"adapter": "transformers:relative/dir"}, 422, "InvalidAdapter"),
        ({"adapter": "python:no_such_module_here:f"}, 422, "ModelLoadFailed"),
        ({"adapter": "python:tests.support.fake_models:NOT_CALLABLE"}, 422, "ModelLoadFailed"),
        ({"kind": "painting"}, 422, "InvalidInput"),
        ({"weights_sha256": "0" * 64}, 422, "WeightsMismatch"),
        ({"training_manifest": {"datasets": [{"items": []}]}}, 422, "InvalidManifest"),
        ({"training_manifest": {"datasets": "none"}}, 422, "InvalidManifest"),
        ({"training_manifest": manifest({"sha256": "xyz"})}, 422, "InvalidManifest"),
        ({"training_manifest": manifest(license="Not-A-Licence")}, 422, "InvalidManifest"),
        ({"training_manifest": manifest(legal_basis="because")}, 422, "InvalidManifest"),
        ({"training_manifest": {"@graph": []}}, 422, "InvalidManifest"),
        ({"name": ""}, 422, "InvalidRequest"),
        ({"name": "a\x00b"}, 422, "InvalidRequest"),
    ],
)
def test_bad_registrations_are_refused_and_store_nothing(
    module_service: Service, changes: dict, status: int, code: str
) -> None:
    service = module_service  # shared: each refusal leaves it as it was, as checked here
    before = counts(service.app.state.services.engine)
    body = {"training_manifest": manifest(unrelated_item(1)), **changes}
    manifest_body = body.pop("training_manifest")
    response = register_model(service.client, service.keys["admin"], manifest_body, **body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert counts(service.app.state.services.engine) == before


def test_roles_and_duplicates(service: Service) -> None:
    body = manifest(unrelated_item(1))
    refused = register_model(service.client, service.keys["operator"], body)
    assert refused.status_code == 403
    first = register_model(service.client, service.keys["admin"], body)
    assert first.status_code == 201
    again = register_model(service.client, service.keys["admin"], body)
    assert again.status_code == 409 and again.json()["error"] == "DuplicateModel"
    model_id = first.json()["id"]
    holder = service.client.get(
        f"/v1/models/{model_id}/clearance", headers=auth(service.keys["alice"])
    )
    assert holder.status_code == 403
    missing = service.client.get("/v1/models/999/clearance", headers=auth(service.keys["admin"]))
    assert missing.status_code == 404 and missing.json()["error"] == "ModelNotFound"
    listed = service.client.get("/v1/models", headers=auth(service.keys["auditor"])).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == model_id


def test_the_weights_hash_given_must_be_the_one_loaded(service: Service) -> None:
    body = manifest(unrelated_item(1))
    good = register_model(
        service.client, service.keys["admin"], body, weights_sha256=file_sha256(FAKE_MODELS)
    )
    assert good.status_code == 201


def test_an_item_given_as_an_image_is_hashed_and_matched(service: Service) -> None:
    import base64

    from tests.support.helpers import encode, photo

    register(
        service.client, service.keys["bob"], png_bytes("coins"), terms={"ai_training": "notAllowed"}
    )
    jpeg = encode(photo("coins"), "JPEG", quality=70)
    item = {"image": base64.b64encode(jpeg).decode(), "source": "scan-0042.jpg"}
    model = register_model(service.client, service.keys["admin"], manifest(item)).json()
    uses = _clearance(service, model["id"])["uses"]
    assert uses["ai_training"]["verdict"] == "blocked"
    assert uses["ai_training"]["items"][0]["sha256"] == hashlib.sha256(jpeg).hexdigest()
    bad = register_model(
        service.client, service.keys["admin"], manifest({"image": "bm90IGFuIGltYWdl"}), name="x"
    )
    assert bad.status_code == 422 and bad.json()["error"] == "InvalidManifest"


def test_a_detector_is_registered_and_cleared_for_the_uses_it_needs(service: Service) -> None:
    response = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(1)),
        name="synthetic-detector",
        kind="detector",
        adapter="python:tests.support.fake_models:brightness_detector",
    )
    assert response.status_code == 201, response.text
    clearance = _clearance(service, response.json()["id"])
    assert clearance["required"] == ["data_mining", "ai_training"]
    builtin = register_model(
        service.client,
        service.keys["admin"],
        manifest(unrelated_item(1)),
        name="d2",
        kind="detector",
        adapter="builtin:generation",
    )
    assert builtin.status_code == 422 and builtin.json()["error"] == "InvalidAdapter"
