"""Page sessions without a browser, on both databases: what a session is worth after its
key is revoked or its time is up, and that a page's upload is refused before its body is
read when no session stands behind it."""

import re
from collections.abc import Iterator
from datetime import timedelta

from sqlmodel import Session, select

from governance.auth.models import ApiKey, UiSession
from governance.auth.service import revoke_key
from governance.db import unit_of_work
from rights.models import utcnow
from tests.support.service_fixture import Service


def _signed_in(service: Service, who: str) -> str:
    answer = service.client.post(
        "/ui/login", data={"key": service.keys[who], "next": "/ui/"}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/ui/"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert "Secure" not in cookie  # served over plain HTTP here
    token = answer.cookies["govern_ui"]
    service.client.cookies.set("govern_ui", token, path="/ui")
    return token


def _home(service: Service) -> int:
    return service.client.get("/ui/", follow_redirects=False).status_code


def test_only_a_digest_of_the_session_is_stored(service: Service) -> None:
    token = _signed_in(service, "auditor")
    assert _home(service) == 200
    with Session(service.app.state.services.engine) as session:
        rows = session.exec(select(UiSession)).all()
    assert len(rows) == 1 and token not in (rows[0].token_sha256, rows[0].csrf_token)


def test_an_expired_session_and_a_revoked_key_send_the_browser_to_sign_in(
    service: Service,
) -> None:
    _signed_in(service, "auditor")
    engine = service.app.state.services.engine
    with unit_of_work(engine) as session:
        row = session.exec(select(UiSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    answer = service.client.get("/ui/audit?status=released", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/login?next=%2Fui%2Faudit%3Fstatus%3Dreleased"
    _signed_in(service, "auditor")
    assert _home(service) == 200
    with unit_of_work(engine) as session:
        key = session.exec(select(ApiKey).where(ApiKey.name == "auditor")).one()
        assert key.id is not None
        revoke_key(session, service.app.state.services.audit, key.id)
    assert _home(service) == 303
    # And the key itself no longer signs in, with the API's sentence.
    again = service.client.post("/ui/login", data={"key": service.keys["auditor"]})
    assert again.status_code == 401 and "the API key has been revoked" in again.text


def test_a_page_upload_without_a_session_is_refused_before_its_body_is_read(
    service: Service,
) -> None:
    read = []

    def body() -> Iterator[bytes]:
        for _ in range(64):
            read.append(1)
            yield b"x" * 65536

    answer = service.client.post(
        "/ui/works",
        content=body(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ui/login")
    # Only what the client sent before the answer: never the 4 MB (the limit is 2 MB,
    # which reading it would have hit first, with a 413).
    assert len(read) < 64


def test_a_signed_in_post_needs_the_form_token_and_sign_out_ends_the_session(
    service: Service,
) -> None:
    _signed_in(service, "regulator")
    refused = service.client.post("/ui/logout", data={"csrf_token": "guess"})
    assert refused.status_code == 403 and "FormTokenRefused" in refused.text
    assert "HTTP status 403" in refused.text and "Not allowed" in refused.text
    assert _home(service) == 200
    page = service.client.get("/ui/").text
    token = re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]
    out = service.client.post("/ui/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ui/login"
    assert _home(service) == 303
