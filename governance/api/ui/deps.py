"""Who a page acts as (the session cookie), and the form token every post must carry."""

from typing import Annotated

from fastapi import Cookie, Depends, Form

from governance.api.deps import SessionDep
from governance.api.ui.render import COOKIE
from governance.auth.ui_sessions import PageCaller, check_form_token, page_caller


def get_caller(
    session: SessionDep, govern_ui: Annotated[str | None, Cookie()] = None
) -> PageCaller:
    return page_caller(session, govern_ui)


CallerDep = Annotated[PageCaller, Depends(get_caller)]


def get_form_caller(
    caller: CallerDep, csrf_token: Annotated[str | None, Form()] = None
) -> PageCaller:
    """The caller of a post, refused (403) unless the form carries the session's token."""
    check_form_token(caller, csrf_token)
    return caller


FormCallerDep = Annotated[PageCaller, Depends(get_form_caller)]

assert COOKIE == "govern_ui", "the Cookie() parameter above is named after the cookie"
