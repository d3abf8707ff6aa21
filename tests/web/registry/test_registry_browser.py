"""The record and search pages in a real Chromium: every seed fact visible, each value's source
labelled, outcomes and eligibility shown, the registry's own "See also" order, no site that is not
activated; axe-core finds no violation at all on the record page (any impact) in English or Spanish,
and no serious or critical one on the search page; screenshots for a person to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import LAUNCH, serious
from django.test import Client
from playwright.sync_api import sync_playwright
from registry_provenance import record_values, unlabelled
from registry_seed_page import collapse, seed_facts

from trialdesk.protocol import load_protocol
from trialdesk.web.core.models import Site
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
    protocol = load_protocol()
    mesh_terms = {term.term for term in protocol.registry.mesh_terms}
    # one site opened, one opened and closed, one never activated (a placeholder)
    Site.objects.update_or_create(code="CO-01", defaults={
        "name": "Clínica SOMER", "status": "active", "activated_on": "2020-01-13"})
    Site.objects.update_or_create(code="CO-03", defaults={
        "name": "Bogotá ICU site", "status": "closed", "activated_on": "2020-03-02"})
    Site.objects.update_or_create(code="CO-02", defaults={
        "name": "Medellín ICU site", "status": "planned", "activated_on": None})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**LAUNCH)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900},
                                    java_script_enabled=True)
            page.goto(f"{live_server.url}/registry/NCT04390152")
            page.screenshot(path=str(test_output_dir / "record-NCT04390152.png"), full_page=True)
            text = collapse(page.inner_text("main"))
            assert [fact for fact in expected if fact not in text] == []
            _check_record(page, protocol, mesh_terms, "en")
            assert every_violation(page) == []
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
            _check_record(page, protocol, mesh_terms, "es")
            assert every_violation(page) == []
        finally:
            browser.close()


def every_violation(page) -> list[str]:
    """axe-core's violations of any impact (minor and moderate too), one line each, with the
    first offending node so that a failure says where."""
    from axe_playwright_python.sync_playwright import Axe

    return [f"{v['impact']}: {v['id']}: {v['help']} ({len(v['nodes'])} node(s), first "
            f"{v['nodes'][0]['target']})" for v in Axe().run(page).response["violations"]]


HEADINGS = {
    "en": ("Outcome measures", "Eligibility", "See also", "Similar trials in this registry"),
    "es": ("Medidas de desenlace", "Elegibilidad", "Véase también",
           "Ensayos similares en este registro"),
}
LABELS = {"en": ("trial protocol", "registry"), "es": ("protocolo del ensayo", "registro")}


def _check_record(page, protocol, mesh_terms: set[str], language: str) -> None:
    """Source labels, outcomes and eligibility, the registry's order, only activated sites."""
    # every protocol-added value of the record as served (locations of the activated sites too)
    values, registry_values = record_values(Client(), protocol.registry.nct_id, language)
    assert unlabelled(page.content(), values, mesh_terms | registry_values) == {}
    protocol_label, registry_label = LABELS[language]
    labels = page.locator(".source").all_inner_texts()
    assert labels.count(protocol_label) >= 8 and labels.count(registry_label) >= 10
    assert page.locator('[data-provenance="protocol"] .source-protocol').first.is_visible()
    for heading in HEADINGS[language]:
        assert page.get_by_role("heading", name=heading, exact=True).is_visible(), heading
    for outcome in protocol.outcomes:
        assert page.get_by_role("rowheader", name=outcome.measure.text(language)).is_visible()
    criteria = page.locator("ul.criteria li").all_inner_texts()
    assert criteria == [c.text.text(language) for c in (*protocol.eligibility.inclusion,
                                                        *protocol.eligibility.exclusion)]
    listed = page.locator("table.see-also tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.nct)")
    assert listed == [trial.nct_id for trial in protocol.registry.related_trials]
    sites = page.locator("table.sites tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.site)")
    assert sites == ["CO-01", "CO-03"]
    assert "Medellín ICU site" not in page.inner_text("main")
