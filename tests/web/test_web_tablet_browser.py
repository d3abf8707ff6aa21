"""Issue 19, a layout that works on a tablet at the bedside: the coordinator's and the
investigator's main pages (dashboard, worklist, screening, participant, a form) in a 768 x 1024
viewport, in English and Spanish (longer words), in a real browser against ``trialdesk serve``.

On each page nothing overflows sideways (the document is no wider than the window: a wide table
scrolls inside the page, never the whole page) and every tap target (buttons, the links and
buttons in tables) is at least 24 CSS pixels high (WCAG 2.2, 2.5.8 Target Size (Minimum):
"at least 24 by 24 CSS pixels", https://www.w3.org/TR/WCAG22/#target-size-minimum). A screenshot
of each page lands in the test output folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import chromium, signed_in_page
from enrollment import CONSENT
from live_server import demo_users, running, setup_demo
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}  # an iPad's portrait viewport, CSS pixels
MIN_TARGET_PX = 24  # WCAG 2.2 SC 2.5.8, the minimum target size
SCREENING = {"age": "61", "pao2": "68", "fio2": "0.9", "peep": "12"}
CHOICES = {
    "sars_cov2_pcr": "positive", "onset_within_week": "yes", "bilateral_opacities": "yes",
    "cardiac_failure_explains": "no", "pregnant": "no", "active_malignancy": "no",
    "expected_death_24h": "no", "other_interventional_trial": "no",
}
# the visible tap targets a page offers: every button, and links and buttons in tables (a link
# in running text may be smaller: 2.5.8's inline exception)
TARGETS_JS = """() => {
  const found = [];
  const seen = new Set();
  for (const el of document.querySelectorAll(
      "button, input[type=submit], select, main table a, main table button")) {
    if (seen.has(el)) continue;
    seen.add(el);
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || style.visibility === "hidden") continue;
    found.push({tag: el.tagName.toLowerCase(), text: (el.textContent || el.value || "")
      .trim().slice(0, 40), height: box.height});
  }
  return found;
}"""
WIDTHS_JS = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    folder = tmp_path_factory.mktemp("tablet")
    setup_demo(folder)
    with running(folder, None, workers=1, threads=4) as live:
        yield live, demo_users(folder)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _tablet(browser: Browser, url: str, user: dict[str, Any], language: str) -> Page:
    return signed_in_page(browser, url, user, language, viewport=TABLET, has_touch=True)


def _problems(page: Page, name: str, folder: Path) -> list[str]:
    """What does not fit a tablet on this page, one line each; a screenshot of it kept."""
    page.wait_for_load_state("load")
    page.screenshot(path=folder / f"{name}.png", full_page=True)
    found = []
    scroll_width, inner_width = page.evaluate(WIDTHS_JS)
    if scroll_width > inner_width:
        found.append(f"{name}: the page is {scroll_width}px wide in a {inner_width}px window")
    found += [f"{name}: {t['tag']} '{t['text']}' is {t['height']:.1f}px high"
              for t in page.evaluate(TARGETS_JS) if t["height"] < MIN_TARGET_PX]
    return found


def _screen_and_consent(page: Page, url: str) -> str:
    page.goto(url + "/screen/")
    for field, value in SCREENING.items():
        page.fill(f"#id_{field}", value)
    for field, value in CHOICES.items():
        page.select_option(f"#id_{field}", value)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.click("#screening-form button[type=submit]")
    code = page.url.rstrip("/").rsplit("/", 1)[-1]
    page.fill("#id_consent_date", CONSENT["consent_date"])
    page.select_option("#id_form_version", CONSENT["form_version"])
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return code


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_bedside_pages_fit_a_tablet_with_targets_big_enough_to_tap(
        server: tuple[Any, dict[str, Any]], browser: Browser, language: str,
        test_output_dir: Path) -> None:
    live, users = server
    url, folder = live.url, test_output_dir / "tablet"
    folder.mkdir(exist_ok=True)
    problems: list[str] = []
    try:
        coordinator = _tablet(browser, url, users["coordinator-co-01"], language)
        code = _screen_and_consent(coordinator, url)
        investigator = _tablet(browser, url, users["investigator-co-01"], language)
        investigator.goto(f"{url}/participants/{code}/randomize/")
        problems += _problems(investigator, f"{language}-investigator-randomize", folder)
        investigator.check("#id_confirm")
        with investigator.expect_navigation():
            investigator.click("main form button[type=submit]")
        expect(investigator.locator("#kit-code")).to_be_visible()
        form = f"/capture/participants/{code}/day0/respiratory/"
        for role, page in (("coordinator", coordinator), ("investigator", investigator)):
            for name, path in (("dashboard", "/"), ("worklist", "/capture/worklist/"),
                               ("screening", "/screen/"), ("participant", f"/participants/{code}/"),
                               ("visits", f"/capture/participants/{code}/"), ("form", form)):
                page.goto(url + path)
                problems += _problems(page, f"{language}-{role}-{name}", folder)
    finally:
        for context in browser.contexts:
            context.close()
    assert not problems, "\n".join(problems)
