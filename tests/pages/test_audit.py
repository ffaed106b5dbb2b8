"""The auditor's calls page: calls by status, model and dates, newest first, paged, and
only for auditors and admins; on each database."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from governance.auth.service import Principal, authenticate
from governance.calls.listing import MAX_LIMIT, CallFilter, list_calls
from governance.calls.status import CallStatus
from governance.errors import CallNotFound, Forbidden, InvalidInput
from governance.pages import audit as audit_pages
from governance.pages.audit import CallQuery, audit_call_page, audit_calls_page
from tests.support.call_helpers import _mask, _model, generate, restore
from tests.support.helpers import encode, np_image
from tests.support.model_helpers import GENERATOR
from tests.support.service_fixture import Service


def _principal(session: Session, service: Service, name: str) -> Principal:
    return authenticate(session, f"Bearer {service.keys[name]}")


def _calls(service: Service) -> tuple[int, int, list[int], list[int]]:
    """Two generations (released) and two restorations (pending review), interleaved."""
    painter = _model(service, kind="generation", adapter=GENERATOR, name="painter")
    restorer = _model(service)
    made: dict[str, list[int]] = {"generation": [], "restoration": []}
    for seed in range(2):
        answer = generate(service, painter, seed=seed)
        assert answer.status_code == 201, answer.text
        made["generation"].append(answer.json()["id"])
        image = encode(np_image(seed + 5, 64))
        answer = restore(service, image, _mask(64, 64), restorer)
        assert answer.status_code == 201, answer.text
        made["restoration"].append(answer.json()["id"])
    return painter, restorer, made["generation"], made["restoration"]


def test_calls_are_filtered_by_status_model_and_day(service: Service) -> None:
    painter, restorer, generations, restorations = _calls(service)
    services = service.app.state.services
    with Session(services.engine) as session:
        auditor = _principal(session, service, "auditor")

        def ids(query: CallQuery) -> list[int]:
            shown = audit_calls_page(session, services, auditor, query)
            return [c.id for c in shown.listing.calls]

        everything = sorted(generations + restorations, reverse=True)
        assert ids(CallQuery()) == everything
        assert ids(CallQuery(status=CallStatus.RELEASED)) == generations[::-1]
        assert ids(CallQuery(status=CallStatus.PENDING_REVIEW)) == restorations[::-1]
        assert ids(CallQuery(status=CallStatus.BLOCKED)) == []
        assert ids(CallQuery(model_id=restorer)) == restorations[::-1]
        both = CallQuery(status=CallStatus.RELEASED, model_id=restorer)
        assert ids(both) == []
        today = datetime.now(UTC).date()
        assert ids(CallQuery(from_day=today, to_day=today)) == everything
        assert ids(CallQuery(to_day=today - timedelta(days=1))) == []
        assert ids(CallQuery(from_day=today + timedelta(days=1))) == []
        shown = audit_calls_page(session, services, auditor, CallQuery(model_id=painter))
        first = shown.listing.calls[0]
        assert (first.kind, first.status, first.model_name) == (
            "generation",
            CallStatus.RELEASED,
            "painter",
        )
        assert first.audit_index is not None and first.actor.startswith("key:")
        assert {m.id for m in shown.models} >= {painter, restorer}
        assert shown.checkpoint.size > first.audit_index
        with pytest.raises(InvalidInput):
            audit_calls_page(
                session, services, auditor, CallQuery(from_day=today, to_day=date(2000, 1, 1))
            )


def test_calls_are_paged_newest_first_keeping_the_filter(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, restorer, generations, restorations = _calls(service)
    everything = sorted(generations + restorations, reverse=True)
    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 3)
    services = service.app.state.services
    with Session(services.engine) as session:
        admin = _principal(session, service, "admin")
        first = audit_calls_page(session, services, admin, CallQuery()).listing
        assert [c.id for c in first.calls] == everything[:3]
        assert first.newer_after is None and first.older_before == everything[2]
        older = CallQuery(before=first.older_before)
        second = audit_calls_page(session, services, admin, older).listing
        assert [c.id for c in second.calls] == everything[3:]
        assert second.older_before is None and second.newer_after == everything[3]
        back = CallQuery(after=second.newer_after)
        again = audit_calls_page(session, services, admin, back).listing
        assert [c.id for c in again.calls] == everything[:3]
        assert again.newer_after is None
        # The filter rides along in the links.
        query = CallQuery(status=CallStatus.PENDING_REVIEW, model_id=restorer)
        link = query.link(before=7)
        assert link == f"/ui/audit?status=pending_review&model={restorer}&before=7"
        monkeypatch.setattr(audit_pages, "PAGE_SIZE", 1)
        one = audit_calls_page(session, services, admin, query).listing
        assert [c.id for c in one.calls] == [restorations[1]]
        rest = audit_calls_page(
            session,
            services,
            admin,
            CallQuery(status=query.status, model_id=restorer, before=one.older_before),
        ).listing
        assert [c.id for c in rest.calls] == [restorations[0]] and rest.older_before is None


def test_only_auditors_and_admins_open_the_audit_pages(service: Service) -> None:
    _, _, generations, _ = _calls(service)
    services = service.app.state.services
    with Session(services.engine) as session:
        for name in ("operator", "regulator", "alice"):
            principal = _principal(session, service, name)
            with pytest.raises(Forbidden) as refused:
                audit_calls_page(session, services, principal, CallQuery())
            assert str(refused.value.detail) == (
                f"this needs one of the roles: auditor, admin; the key is '{principal.role}'"
            )
            with pytest.raises(Forbidden):
                audit_call_page(session, principal, generations[0])
        auditor = _principal(session, service, "auditor")
        shown = audit_call_page(session, auditor, generations[0])
        assert shown.call.id == generations[0] and shown.subject == f"call:{generations[0]}"
        with pytest.raises(CallNotFound):
            audit_call_page(session, auditor, 10**6)


def test_a_page_size_or_cursor_pair_out_of_bounds_is_refused(service: Service) -> None:
    services = service.app.state.services
    with Session(services.engine) as session:
        auditor = _principal(session, service, "auditor")
        with pytest.raises(InvalidInput):
            list_calls(session, auditor, CallFilter(), 0)
        with pytest.raises(InvalidInput):
            list_calls(session, auditor, CallFilter(), MAX_LIMIT + 1)
        with pytest.raises(InvalidInput):
            list_calls(session, auditor, CallFilter(), 10, before=3, after=1)
