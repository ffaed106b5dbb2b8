"""The Python client against the real app."""

import pytest

from governance.client import ApiError, GovernClient
from tests.support.helpers import encode, np_image, png_bytes
from tests.support.model_helpers import GENERATOR, manifest, unrelated_item
from tests.support.service_fixture import Service


def test_the_client_drives_a_governed_generation(service: Service) -> None:
    admin = GovernClient(key=service.keys["admin"], http=service.client)
    operator = GovernClient(key=service.keys["operator"], http=service.client)
    holder = GovernClient(key=service.keys["alice"], http=service.client)
    work = holder.register_work(
        png_bytes("clock"),
        {"title": "Clock", "creator": "A. Maker", "license": "CC0-1.0", "terms": {}},
    )
    assert holder.match(png_bytes("clock"))["matches"][0]["work_id"] == work["id"]
    model = admin.register_model(
        {
            "name": "painter",
            "kind": "generation",
            "adapter": GENERATOR,
            "version": "2",
            "training_manifest": manifest(unrelated_item(1)),
        }
    )
    assert operator.model_by_name("painter")["id"] == model["id"]
    assert operator.clearance(model["id"])["verdict"] == "cleared"
    call = operator.generate(model["id"], "a clock tower", seed=1, width=64, height=64)
    assert operator.call(call["id"])["status"] == "released"
    output = operator.output(call["id"])
    assert output.startswith(b"\x89PNG")
    regulator = GovernClient(key=service.keys["regulator"], http=service.client)
    report = regulator.verify(output, "out.png")
    assert report["c2pa"]["state"] == "Trusted" and report["record"]["call_id"] == call["id"]
    assert regulator.ca_pem().startswith(b"-----BEGIN CERTIFICATE-----")
    found = regulator.matches_by_content(output)["matches"]
    assert found[0]["call_id"] == call["id"]
    assert regulator.manifest(found[0]["manifestId"])
    with pytest.raises(ApiError) as refused:
        operator.restore(model["id"], encode(np_image(1)), encode(np_image(2)))
    assert refused.value.status == 422 and refused.value.code == "WrongModelKind"
    with pytest.raises(ApiError) as missing:
        operator.model_by_name("nobody")
    assert missing.value.code == "ModelNotFound"


def test_the_client_finds_a_model_on_a_later_page(database_url, tmp_path) -> None:
    from tests.support.service_fixture import make_service

    service = make_service(database_url, tmp_path / "data", page_size_max=2)
    admin = GovernClient(key=service.keys["admin"], http=service.client)
    for n in range(5):
        admin.register_model(
            {
                "name": f"m{n}",
                "kind": "generation",
                "adapter": GENERATOR,
                "version": "1",
                "training_manifest": manifest(unrelated_item(n)),
            }
        )
    assert admin.model_by_name("m4")["name"] == "m4"
    with pytest.raises(ApiError):
        admin.model_by_name("m5")
    service.app.state.services.engine.dispose()


def test_the_client_names_models_and_versions_and_retires_them(service: Service) -> None:
    admin = GovernClient(key=service.keys["admin"], http=service.client)
    operator = GovernClient(key=service.keys["operator"], http=service.client)
    registered = [
        admin.register_model(
            {
                "name": "studio painter",
                "kind": "generation",
                "adapter": adapter,
                "version": version,
                "training_manifest": manifest(unrelated_item(n)),
            }
        )
        for n, (version, adapter) in enumerate(
            [("1", GENERATOR), ("2", "python:tests.support.fake_models:grey_generate")]
        )
    ]
    assert operator.model_by_name("studio painter")["id"] == registered[1]["id"]
    assert operator.model("studio painter", version="1")["id"] == registered[0]["id"]
    assert operator.model(registered[0]["id"])["version"] == "1"
    assert operator.models(name="studio painter")["total"] == 2
    call = operator.generate("studio painter", "a harbour", width=64, height=64, version="1")
    assert call["model"]["id"] == registered[0]["id"] and call["status"] == "released"
    retired = admin.retire_model(registered[1]["id"], "replaced")
    assert retired["retired"]["reason"] == "replaced"
    assert (
        operator.generate("studio painter", "a harbour", width=64, height=64)["model"]["id"]
        == registered[0]["id"]
    )
    with pytest.raises(ApiError) as missing:
        operator.model_by_name("studio painter", version="3")
    assert missing.value.status == 404 and "has no version '3'" in missing.value.detail
