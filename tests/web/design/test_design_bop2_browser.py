"""The BOP2 page in Chromium, in English and Spanish: the form computes, the plot is drawn, and
axe-core finds no serious or critical violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import LAUNCH, serious
from django.conf import settings
from login import signed_in_client_without_login_signal
from playwright.sync_api import sync_playwright
from trial_factory import make_trial_wide_users_without_audit


@pytest.mark.browser
def test_bop2_page_computes_and_is_axe_clean(live_server, test_output_dir: Path,
                                             monkeypatch) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    user = make_trial_wide_users_without_audit(["analyst"])["analyst"]
    session = signed_in_client_without_login_signal(user).cookies[
        settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        try:
            for language, button, heading in (("en", "Compute", "Stopping boundaries"),
                                              ("es", "Calcular", "Límites de interrupción")):
                context = browser.new_context(viewport={"width": 1200, "height": 900},
                                              locale=language)
                context.add_cookies([
                    {"name": settings.SESSION_COOKIE_NAME, "value": session,
                     "url": live_server.url},
                    {"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                     "url": live_server.url}])
                page = context.new_page()
                page.goto(f"{live_server.url}/design/bop2/")
                assert serious(page) == []
                page.get_by_role("button", name=button).click()
                page.wait_for_load_state()
                assert page.get_by_role("heading", name=heading).count() == 1
                assert page.locator("td.eff").count() == 4
                assert page.locator("td.tox").count() == 4
                assert page.locator("figure svg").count() == 1
                page.screenshot(path=str(test_output_dir / f"bop2-{language}.png"),
                                full_page=True)
                assert serious(page) == []
                context.close()
        finally:
            browser.close()
