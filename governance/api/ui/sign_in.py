"""/ui/login, /ui/logout and /ui/: a key becomes a session; the home page lists what the
key's role may do."""

from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from governance.api.deps import ServicesDep, SessionDep
from governance.api.ui.deps import CallerDep, FormCallerDep
from governance.api.ui.render import COOKIE, page
from governance.auth.ui_sessions import sign_in, sign_out
from governance.errors import GovernError

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only a page of this service: never an absolute or scheme-relative address.
    if target and target.startswith("/ui/") and not target.startswith("//"):
        return target
    return "/ui/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login", response_model=None)
def login(
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    key: Annotated[str, Form()] = "",
    next: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        signed = sign_in(session, key, services.settings.ui_session_minutes)
    except GovernError as exc:
        # The form again, with the API's sentence: a key is typed, and mistyped.
        return page(
            request,
            "login.html",
            None,
            status_code=exc.status,
            next=_safe_next(next),
            error=exc.detail,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        signed.token,
        max_age=signed.max_age_seconds,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(
    session: SessionDep,
    caller: FormCallerDep,
    govern_ui: Annotated[str | None, Cookie()] = None,
) -> RedirectResponse:
    sign_out(session, govern_ui)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(COOKIE, path="/ui")
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, caller: CallerDep) -> HTMLResponse:
    return page(request, "home.html", caller)
