"""Chromium as the browser tests launch it (Debian's, no sandbox: the machines run as root), a
page signed in and switched to a language, and axe-core's findings that fail a page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
LAUNCH = {"executable_path": CHROMIUM,
          "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]}
TIMEOUT_MS = 120_000  # a loaded 2-core machine: pages may take many seconds


@contextmanager
def chromium() -> Iterator[Browser]:
    """Chromium for a module's pages. Playwright's expect() waits 5 s by default, too short on a
    loaded machine: it waits ``TIMEOUT_MS`` until the browser closes, then the default again."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(**LAUNCH)
            try:
                yield launched
            finally:
                launched.close()
    finally:
        expect.set_options(timeout=None)


def signed_in_page(browser: Browser, url: str, user: dict[str, Any], language: str,
                   **context: Any) -> Page:
    """A page in a fresh context (``context``: more of its options, e.g. a viewport) signed in
    as ``user`` at the server ``url``, then switched to ``language`` with the header's language
    switch, as a person would."""
    from login import sign_in_browser
    from playwright.sync_api import expect

    page_context = browser.new_context(locale="en-GB", **context)
    page_context.set_default_timeout(TIMEOUT_MS)
    page = page_context.new_page()
    sign_in_browser(page, url, user)
    with page.expect_navigation():
        page.select_option("#language-select", language)
    expect(page.locator("html")).to_have_attribute("lang", language)
    return page


def serious(page: Any) -> list[str]:
    """Return axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['impact']}: {v['id']}: {v['help']} ({len(v['nodes'])} node(s))"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def fill_day0_respiratory(page: Any, pao2: str = "520") -> None:
    """From a participant's visits page, open the day-0 respiratory form and fill it (FiO2 0.5,
    PEEP 10, invasive ventilation); the default PaO2 is outside the expected range."""
    page.click("#visit-day0 a[href$='/day0/respiratory/']")
    page.fill("#id_pao2", pao2)
    page.fill("#id_fio2", "0.5")
    page.fill("#id_peep", "10")
    page.select_option("#id_ventilation_mode", "imv")
