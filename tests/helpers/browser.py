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
