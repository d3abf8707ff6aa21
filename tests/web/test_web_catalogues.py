"""Every Spanish catalogue the server ships is complete, not fuzzy, and compiled from its .po."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from catalogues import (
    WEB,
    catalogue_statistics,
    compiled_catalogue,
    gettext_tool,
    spanish_catalogues,
)

CATALOGUES = spanish_catalogues()


def test_the_server_and_its_apps_ship_spanish() -> None:
    apps = {po.relative_to(WEB).parts[0] for po in CATALOGUES}
    assert {"locale", "capture", "design", "registry"} <= apps


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: str(po.relative_to(WEB)))
def test_catalogue_has_no_untranslated_or_fuzzy_entry(po: Path) -> None:
    statistics = catalogue_statistics(po)
    assert re.fullmatch(r"\d+ translated messages?\.", statistics), statistics
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics
    assert "#, fuzzy" not in po.read_text(encoding="utf-8")


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: str(po.relative_to(WEB)))
def test_compiled_catalogue_matches_its_po_file(po: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "django.mo"
    subprocess.run([gettext_tool("msgfmt"), "-o", str(fresh), str(po)], check=True)
    assert compiled_catalogue(po.with_suffix(".mo")) == compiled_catalogue(fresh)
