"""The data-capture pages in Spanish: the app's own catalogue is complete, compiled and current."""

from __future__ import annotations

import gettext
import shutil
import subprocess
import tempfile
from pathlib import Path

from capture_testkit import RESPIRATORY_OK, form_path, login, page_path
from django.core.management import call_command

import trialdesk.web.capture

APP = Path(trialdesk.web.capture.__file__).parent
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


def test_capture_catalogue_has_no_untranslated_or_fuzzy_entry():
    result = subprocess.run([_msgfmt(), "--check", "--statistics", "-o", "/dev/null", str(PO)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip()
    assert statistics.endswith("translated messages."), statistics
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


def test_compiled_capture_catalogue_matches_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([_msgfmt(), "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as shipped, fresh.open("rb") as compiled:
        assert (gettext.GNUTranslations(shipped)._catalog
                == gettext.GNUTranslations(compiled)._catalog)


def test_every_marked_string_of_the_app_is_in_the_catalogue(tmp_path, monkeypatch, settings):
    copy = tmp_path / "capture"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    # makemessages writes to ./locale, else to LOCALE_PATHS: never let it touch the real ones
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = []
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["es"], no_location=True, verbosity=0)
    marked = _msgids(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
    assert marked, "makemessages found no strings"
    assert marked <= _msgids(PO), sorted(marked - _msgids(PO))


def test_a_coordinator_sees_the_form_page_in_spanish(ct):
    code = ct.randomize()
    ct.api("coordinator-co-01").put(form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 520}})
    body = login("coordinator-co-01", "es").get(page_path(code)).content.decode()
    assert "Guardar borrador" in body and "Valores fuera del rango esperado" in body
    assert "Relación PaO2/FiO2" in body  # the protocol's own translation
    assert "Respiratorio" in body
