"""Chromium as the browser tests launch it (Debian's, no sandbox: the machines run as root), and
axe-core's findings that fail a page."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
LAUNCH = {"executable_path": CHROMIUM,
          "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]}


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
