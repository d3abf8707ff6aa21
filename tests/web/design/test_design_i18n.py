"""The design app's Spanish catalogue: complete, not fuzzy, compiled, and current."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.management import call_command

import trialdesk.web.design

APP = Path(trialdesk.web.design.__file__).parent
PO = APP / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = APP / "locale" / "es" / "LC_MESSAGES" / "django.mo"


def _msgfmt() -> str:
    path = shutil.which("msgfmt")
    assert path, "msgfmt is missing: run scripts/install-system-deps.sh (installs gettext)"
    return path


def _msgids(po: Path) -> set[str]:
    """Return every msgid of a catalogue, translated or not (msgen fills in the English)."""
    with tempfile.TemporaryDirectory() as folder:
        filled, compiled = Path(folder) / "en.po", Path(folder) / "en.mo"
        subprocess.run([str(Path(_msgfmt()).with_name("msgen")), "-o", str(filled), str(po)],
                       check=True)
        subprocess.run([_msgfmt(), "-o", str(compiled), str(filled)], check=True)
        with compiled.open("rb") as handle:
            catalogue = gettext.GNUTranslations(handle)._catalog
    return {key if isinstance(key, str) else key[0] for key in catalogue if key}


def test_design_catalogue_has_no_untranslated_or_fuzzy_entry():
    result = subprocess.run([_msgfmt(), "--check", "--statistics", "-o", "/dev/null", str(PO)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip().splitlines()[-1]
    assert statistics.endswith("translated messages."), statistics
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_compiled_design_catalogue_matches_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([_msgfmt(), "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as shipped, fresh.open("rb") as compiled:
        assert (gettext.GNUTranslations(shipped)._catalog
                == gettext.GNUTranslations(compiled)._catalog)


def test_every_marked_string_of_the_design_app_is_in_the_catalogue(tmp_path, monkeypatch,
                                                                   settings):
    copy = tmp_path / "design"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    # makemessages writes to ./locale, else to LOCALE_PATHS: never let it touch the real ones
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = []
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["es"], no_location=True, verbosity=0)
    marked = _msgids(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    assert "Group-sequential boundaries" in marked  # the extraction itself works
    assert marked <= _msgids(PO), sorted(marked - _msgids(PO))
