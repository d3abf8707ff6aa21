"""The command line's Spanish catalogue (issue 19) is complete, not fuzzy, compiled from its .po,
and holds exactly the strings the commands (``_``, ``N_``) and the analyses' text tables (``t``)
mark. The gettext tools come from Debian's gettext package (scripts/install-system-deps.sh)."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import trialdesk.commands
import trialdesk.stats.analysis

COMMANDS = Path(trialdesk.commands.__file__).parent
ANALYSES = Path(trialdesk.stats.analysis.__file__).parent
PO = COMMANDS / "locale" / "es" / "LC_MESSAGES" / "trialdesk.po"


def tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is missing: run scripts/install-system-deps.sh (installs gettext)"
    return path


def compiled(path: Path) -> dict:
    with path.open("rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def msgids(po: Path, folder: Path) -> set[str]:
    """Every msgid of ``po``, translated or not (msgen fills in the English)."""
    filled, mo = folder / "en.po", folder / "en.mo"
    subprocess.run([tool("msgen"), "-o", str(filled), str(po)], check=True)
    subprocess.run([tool("msgfmt"), "-o", str(mo), str(filled)], check=True)
    return {key for key in compiled(mo) if key}


def test_every_msgid_has_a_spanish_msgstr_and_none_is_fuzzy():
    result = subprocess.run([tool("msgfmt"), "--check", "--statistics", "-o", "/dev/null",
                             str(PO)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ translated messages?\.", statistics), statistics
    assert "#, fuzzy" not in PO.read_text(encoding="utf-8")


def test_the_compiled_catalogue_matches_its_po_file(tmp_path):
    fresh = tmp_path / "trialdesk.mo"
    subprocess.run([tool("msgfmt"), "-o", str(fresh), str(PO)], check=True)
    assert compiled(PO.with_suffix(".mo")) == compiled(fresh)


def test_the_catalogue_holds_exactly_the_marked_strings(tmp_path):
    sources = sorted(str(path) for path in [*COMMANDS.glob("*.py"), *ANALYSES.glob("*.py")])
    pot = tmp_path / "marked.pot"
    # -k alone drops xgettext's default keywords: audit.py's gettext() is Django's (the e-mail)
    subprocess.run([tool("xgettext"), "-L", "Python", "--from-code=UTF-8", "-k", "-k_", "-kN_",
                    "-kt", "--no-location", "-o", str(pot), *sources], check=True)
    pot.write_text(pot.read_text(encoding="utf-8").replace("charset=CHARSET", "charset=UTF-8"),
                   encoding="utf-8")
    marked = msgids(pot, tmp_path)
    shipped = set(compiled(PO.with_suffix(".mo"))) - {""}
    assert sorted(marked - shipped) == [], "marked but not in the catalogue"
    assert sorted(shipped - marked) == [], "in the catalogue but marked nowhere"
