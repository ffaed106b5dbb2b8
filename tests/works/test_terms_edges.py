"""Edges of the terms history and of the registration form: the creation instant,
changes that change nothing, and form parts sent twice."""

import json
from datetime import timedelta

from sqlmodel import Session, select

from governance.db import unit_of_work
from rights.models import WorkTermsVersion
from tests.support.helpers import auth, png_bytes, register, work_metadata
from tests.support.service_fixture import Service


def _at(service: Service, work_id: int, at: str) -> dict:
    response = service.client.get(
        f"/v1/works/{work_id}", headers=auth(service.keys["alice"]), params={"at": at}
    )
    return {**response.json(), "http_status": response.status_code}


def test_terms_at_the_creation_instant_are_the_first_version(service: Service) -> None:
    work = register(service.client, service.keys["alice"], png_bytes("coffee")).json()
    created = work["created_at"]
    assert work["terms_effective_from"] == created
    assert _at(service, work["id"], created)["terms_version"] == 1
    # One microsecond earlier the work did not exist yet.
    with Session(service.app.state.services.engine) as session:
        version = session.exec(select(WorkTermsVersion)).one()
        earlier = (version.effective_from - timedelta(microseconds=1)).isoformat()
    assert _at(service, work["id"], earlier)["error"] == "WorkNotFound"


def test_a_first_version_stamped_after_its_work_still_covers_the_gap(service: Service) -> None:
    # Works registered before version 1 took its work's creation time have it a moment later.
    work = register(service.client, service.keys["alice"], png_bytes("coffee")).json()
    with unit_of_work(service.app.state.services.engine) as session:
        version = session.exec(select(WorkTermsVersion)).one()
        created = version.effective_from
        version.effective_from = created + timedelta(milliseconds=3)
        session.add(version)
    for at in (created, created + timedelta(milliseconds=1)):
        got = _at(service, work["id"], at.isoformat())
        assert got["http_status"] == 200 and got["terms_version"] == 1, at


def test_an_identical_terms_change_creates_nothing(service: Service) -> None:
    alice = auth(service.keys["alice"])
    work = register(
        service.client, service.keys["alice"], png_bytes("coffee"), terms={"ai_training": "allowed"}
    ).json()
    url = f"/v1/works/{work['id']}/terms"
    before = service.stored()
    # The terms it was registered with, spelt out or not: nothing changes.
    for terms in ({"ai_training": "allowed"}, {"ai_training": {"use": "allowed"}}):
        same = service.client.put(url, headers=alice, json={"terms": terms})
        assert same.status_code == 200, same.text
        assert same.json() == work
        assert service.stored() == before
    changed = service.client.put(url, headers=alice, json={"terms": {"ai_training": "notAllowed"}})
    assert changed.status_code == 200 and changed.json()["terms_version"] == 2
    after_change = service.stored()
    assert after_change[2] == before[2] + 1 and after_change[4] == before[4] + 1
    for _ in range(3):
        again = service.client.put(
            url, headers=alice, json={"terms": {"ai_training": "notAllowed"}}
        )
        assert again.status_code == 200 and again.json() == changed.json()
    assert service.stored() == after_change
    history = service.client.get(f"{url}/history", headers=alice).json()
    assert [v["version"] for v in history["versions"]] == [1, 2]
    # Dropping a term is a change.
    dropped = service.client.put(url, headers=alice, json={"terms": {}})
    assert dropped.json()["terms_version"] == 3


def test_a_second_metadata_part_is_refused(service: Service) -> None:
    first = json.dumps(work_metadata(title="First"))
    second = json.dumps(work_metadata(title="Second"))
    for parts in ([first, second], [first, first]):
        response = service.client.post(
            "/v1/works",
            headers=auth(service.keys["alice"]),
            files=[
                ("file", ("a.png", png_bytes("coffee"), "image/png")),
                *[("metadata", (None, part)) for part in parts],
            ],
        )
        assert response.status_code == 422, response.text
        assert response.json()["error"] == "InvalidInput"
        assert "exactly one 'metadata' part, not 2" in response.json()["detail"]
        assert service.stored() == (0, 0, 0, 0, 0)
    one = register(service.client, service.keys["alice"], png_bytes("coffee"), title="Only")
    assert one.status_code == 201 and one.json()["title"] == "Only"
