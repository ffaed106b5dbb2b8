"""A refused page request: the API's refusal as a page, or a way to sign in."""

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from governance.api.ui.render import error_page
from governance.errors import GovernError, SignInRequired

PREFIX = "/ui"


def is_page(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


def ui_error(request: Request, exc: GovernError) -> Response:
    if isinstance(exc, SignInRequired):
        # Back to this page once signed in, when it can be asked for again (a GET).
        target = request.url.path if request.method == "GET" else "/ui/"
        if request.url.query and request.method == "GET":
            target += "?" + request.url.query
        return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)
    return error_page(request, exc.status, exc.code, exc.detail)
