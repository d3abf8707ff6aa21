"""The record and search pages in a real Chromium: every seed fact visible, axe-core finds no
serious or critical violation, and a screenshot for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import LAUNCH, serious
from playwright.sync_api import sync_playwright
from registry_seed_page import collapse, seed_facts

from trialdesk.protocol import load_protocol
from trialdesk.web.registry.models import Study
from trialdesk.web.registry.store import seed_registry


@pytest.mark.browser
def test_record_and_search_pages_in_chromium(live_server, test_output_dir: Path,
                                             monkeypatch, test_data: Path) -> None:
    # Playwright's sync API runs an event loop in this thread; the ORM calls below are still
    # plain synchronous calls, made before and after the browser session.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Study.objects.filter(nct_id="NCT04390152").exists():
        seed_registry(load_protocol())  # an earlier transactional test flushed the seed
    expected = seed_facts(test_data).expected_texts()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900},
                                    java_script_enabled=True)
            page.goto(f"{live_server.url}/registry/NCT04390152")
            page.screenshot(path=str(test_output_dir / "record-NCT04390152.png"), full_page=True)
            text = collapse(page.inner_text("main"))
            assert [fact for fact in expected if fact not in text] == []
            assert serious(page) == []
            page.emulate_media(media="print")
            page.screenshot(path=str(test_output_dir / "record-NCT04390152-print.png"),
                            full_page=True)
            assert not page.locator("header.site nav").is_visible()

            page.emulate_media(media="screen")
            page.goto(f"{live_server.url}/registry")
            page.get_by_label("Search words").fill("stem cells")
            page.get_by_label("Status").select_option("WITHDRAWN")
            page.get_by_role("button", name="Search").click()
            page.wait_for_load_state()
            page.screenshot(path=str(test_output_dir / "search-stem-cells.png"), full_page=True)
            results = collapse(page.inner_text("main"))
            assert "1 trial found" in results
            assert "Withdrawn NCT04909879 - Study of Allogeneic Adipose-Derived" in results
            assert serious(page) == []

            # the Spanish record, reached by its language link (no JavaScript needed)
            page.goto(f"{live_server.url}/registry/NCT04390152")
            page.get_by_role("link", name="Español").click()
            page.wait_for_load_state()
            page.screenshot(path=str(test_output_dir / "record-NCT04390152-es.png"),
                            full_page=True)
            assert page.locator("html").get_attribute("lang") == "es"
            assert page.get_by_role("heading", name="Resumen breve").is_visible()
            assert serious(page) == []
        finally:
            browser.close()
