"""Signing in and out, the navigation each role is offered, and the refusals every page
shares: no session, the wrong role, a post without the form token."""

from playwright.sync_api import Page

from tests.ui.conftest import LiveService, screenshot, sign_in


def test_a_key_signs_in_and_the_navigation_shows_what_its_role_may_do(
    page: Page, live: LiveService
) -> None:
    page.goto("/ui/?from=test")
    # No session: sent to sign in, and back to the page asked for afterwards.
    assert "/ui/login?next=%2Fui%2F%3Ffrom%3Dtest" in page.url
    page.get_by_label("API key").fill("gov_not_a_key")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "the API key is not known"
    screenshot(page, "sign-in")
    page.get_by_label("API key").fill(live.keys["conservator"])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/ui/?from=test")
    nav = page.get_by_role("navigation", name="Main")
    labels = [link.inner_text() for link in nav.get_by_role("link").all()]
    assert labels == ["Reviews", "Verify a file"]
    page.goto("/ui/")
    sign_in_cookie = [c for c in page.context.cookies() if c["name"] == "govern_ui"]
    assert sign_in_cookie and sign_in_cookie[0]["httpOnly"]
    assert sign_in_cookie[0]["sameSite"] == "Strict"
    page.get_by_role("button", name="Sign out").click()
    assert "/ui/login" in page.url
    page.goto("/ui/")
    assert "/ui/login" in page.url


def test_each_role_is_offered_only_its_own_pages(page: Page, live: LiveService) -> None:
    expected = {
        "rights_holder": ["Works", "Register a work", "Verify a file"],
        "operator": ["New call", "Verify a file"],
        "auditor": ["Works", "Reviews", "Audit", "Verify a file"],
        "regulator": ["Verify a file"],
    }
    for role, labels in expected.items():
        page.context.clear_cookies()
        sign_in(page, live, role)
        nav = page.get_by_role("navigation", name="Main")
        assert [a.inner_text() for a in nav.get_by_role("link").all()] == labels, role


def test_a_post_without_the_form_token_is_refused(page: Page, live: LiveService) -> None:
    sign_in(page, live, "regulator")
    # The session's cookie rides along (same site), but the form token does not.
    response = page.request.post("/ui/logout", form={"nothing": "here"})
    assert response.status == 403
    assert "FormTokenRefused" in response.text()
    # Still signed in: the refused post changed nothing.
    page.goto("/ui/")
    assert "/ui/login" not in page.url
