"""Rendering of the web pages: one Jinja2 environment (autoescaped), the navigation a
role may use, and the error page every refusal becomes."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from governance.auth.models import Role
from governance.auth.ui_sessions import PageCaller

HERE = Path(__file__).resolve().parent
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
COOKIE = "govern_ui"


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    roles: frozenset[Role]


_ALL = frozenset(Role)
# What each role may do, as the API allows it: a page a role cannot use is not offered.
NAV = (
    NavItem("/ui/works", "Works", frozenset({Role.RIGHTS_HOLDER, Role.AUDITOR, Role.ADMIN})),
    NavItem("/ui/works/new", "Register a work", frozenset({Role.RIGHTS_HOLDER})),
    NavItem("/ui/calls/new", "New call", frozenset({Role.OPERATOR})),
    NavItem("/ui/reviews", "Reviews", frozenset({Role.CONSERVATOR, Role.AUDITOR, Role.ADMIN})),
    NavItem("/ui/audit", "Audit", frozenset({Role.AUDITOR, Role.ADMIN})),
    NavItem("/ui/verify", "Verify a file", _ALL),
)


def nav_for(role: Role) -> list[NavItem]:
    return [item for item in NAV if role in item.roles]


def current_item(nav: list[NavItem], path: str) -> str | None:
    """The item a page belongs to: the longest item path that is the page's or above it
    (/ui/audit/calls/7 is under Audit; /ui/works/new is its own item, not Works)."""
    under = [i.path for i in nav if path == i.path or path.startswith(i.path + "/")]
    return max(under, key=len) if under else None


def page(
    request: Request,
    template: str,
    caller: PageCaller | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """`template` rendered for `caller` (None on the sign-in and error pages)."""
    nav = nav_for(caller.principal.role) if caller is not None else []
    base = {
        "caller": caller,
        "nav": nav,
        "current": current_item(nav, request.url.path),
        "csrf_token": caller.csrf_token if caller is not None else "",
        "path": request.url.path,
        "status_code": status_code,
    }
    response = TEMPLATES.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    # A page names what a key may see: it is kept by no cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: Request, status_code: int, code: str, detail: str) -> HTMLResponse:
    """The page a refused page request gets: the API's status, code and sentence."""
    return page(request, "error.html", None, status_code=status_code, code=code, detail=detail)
