"""Checks on the Spanish translation catalogues that every app of the server ships.

Each app keeps its own ``locale/es/LC_MESSAGES/django.po`` (and the compiled ``.mo``) beside its
code; the server's own catalogue is ``web/locale``. The gettext tools come from Debian's gettext
package, installed by ``scripts/install-system-deps.sh``.
"""

from __future__ import annotations

import gettext
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.core.management import call_command

import trialdesk.web

WEB = Path(trialdesk.web.__file__).parent


def spanish_catalogues() -> list[Path]:
    """Every Spanish ``django.po`` under the web package."""
    return sorted(WEB.rglob("locale/es/LC_MESSAGES/django.po"))


def gettext_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run scripts/install-system-deps.sh (installs gettext)"
    return path


def catalogue_statistics(po: Path) -> str:
    """msgfmt's verdict on ``po``; raises if the file is malformed."""
    result = subprocess.run(
        [gettext_tool("msgfmt"), "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip().splitlines()[-1]


def compiled_catalogue(path: Path) -> dict:
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def msgids(po: Path) -> set[str]:
    """Every msgid of a catalogue, translated or not (msgen fills in the English)."""
    with tempfile.TemporaryDirectory() as folder:
        filled, compiled = Path(folder) / "en.po", Path(folder) / "en.mo"
        subprocess.run([gettext_tool("msgen"), "-o", str(filled), str(po)], check=True)
        subprocess.run([gettext_tool("msgfmt"), "-o", str(compiled), str(filled)], check=True)
        catalogue = compiled_catalogue(compiled)
    return {key if isinstance(key, str) else key[0] for key in catalogue if key}


def marked_strings_of_app(app: Path, tmp_path: Path, monkeypatch, settings) -> set[str]:
    """The strings an app marks for translation, extracted by makemessages from a copy of it."""
    copy = tmp_path / app.name
    shutil.copytree(app, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    # makemessages writes to ./locale, else to LOCALE_PATHS: never let it touch the real ones
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = []
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["es"], no_location=True, verbosity=0)
    return msgids(copy / "locale" / "es" / "LC_MESSAGES" / "django.po")
