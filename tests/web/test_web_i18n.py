"""Languages: the Spanish catalogue is complete, not fuzzy, compiled, and used by the pages."""

from __future__ import annotations

import gettext
import shutil
import subprocess
from pathlib import Path

from django.test import Client
from trial_fixtures import PASSWORD

import trialdesk.web

LOCALE = Path(trialdesk.web.__file__).parent / "locale"
PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "es" / "LC_MESSAGES" / "django.mo"


def _msgfmt() -> str:
    path = shutil.which("msgfmt")
    assert path, "msgfmt is missing: run scripts/install-system-deps.sh (installs gettext)"
    return path


def test_spanish_catalogue_has_no_untranslated_or_fuzzy_entry():
    result = subprocess.run([_msgfmt(), "--check", "--statistics", "-o", "/dev/null", str(PO)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    statistics = result.stderr.strip()
    assert statistics.endswith("translated messages."), statistics
    assert "fuzzy" not in statistics and "untranslated" not in statistics, statistics


def test_compiled_catalogue_matches_the_po_file(tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run([_msgfmt(), "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as shipped, fresh.open("rb") as compiled:
        shipped_catalog = gettext.GNUTranslations(shipped)._catalog
        assert shipped_catalog == gettext.GNUTranslations(compiled)._catalog


def test_a_user_sees_pages_in_spanish(trial):
    client = Client(headers={"Accept-Language": "es"})
    assert "Iniciar sesión" in client.get("/accounts/login/").content.decode()
    client.post("/accounts/login/", {"username": "investigator-co-01", "password": PASSWORD})
    body = client.get("/screen/").content.decode()
    assert "Evaluar a un paciente" in body and "Edad" in body  # template and protocol texts
    assert 'lang="es"' in body


def test_the_users_chosen_language_applies_at_sign_in(trial):
    from trialdesk.web.trials.models import Membership

    Membership.objects.filter(user__username="monitor").update(language="es")
    client = Client()
    client.post("/accounts/login/", {"username": "monitor", "password": PASSWORD})
    assert "Participantes" in client.get("/").content.decode()


def _msgids_of_po_text(text: str) -> set[str]:
    """Return the msgids of PO text (as xgettext writes it: quoted pieces, one per line)."""
    import ast

    ids, current = set(), None
    for line in [*text.splitlines(), ""]:
        if line.startswith("msgid "):
            current = [ast.literal_eval(line[6:])]
        elif line.startswith('"') and current is not None:
            current.append(ast.literal_eval(line))
        elif current is not None:
            ids.add("".join(current))
            current = None
    return ids - {""}


def _strings_marked_for_translation(tmp_path: Path) -> set[str]:
    """Extract like ``makemessages`` does: templates through Django's templatize, then xgettext."""
    from django.utils.translation.template import templatize

    web = Path(trialdesk.web.__file__).parent
    sources = []
    for index, template in enumerate(sorted((web / "templates").rglob("*.html"))):
        converted = tmp_path / f"template{index}.py"
        converted.write_text(templatize(template.read_text()))
        sources.append(converted)
    own_apps = [web / name for name in ("accounts", "trials", "api")]
    sources += [path for app in own_apps for path in app.rglob("*.py")
                if "migrations" not in path.parts]
    sources.append(web / "settings.py")
    xgettext = shutil.which("xgettext")
    assert xgettext, "xgettext is missing: run scripts/install-system-deps.sh (installs gettext)"
    result = subprocess.run(
        [xgettext, "--language=Python", "--from-code=UTF-8", "--keyword=gettext_lazy",
         "--keyword=gettext", "--keyword=_", "--keyword=gettext_noop", "-o", "-",
         *map(str, sources)], capture_output=True, text=True, check=True)
    return _msgids_of_po_text(result.stdout)


def test_every_string_marked_in_the_server_pages_has_a_spanish_translation(tmp_path, db):
    from django.utils.translation import trans_real

    marked = _strings_marked_for_translation(tmp_path)
    assert "Randomize now" in marked and "Kit code" in marked  # the extraction itself works
    catalog = trans_real.translation("es")._catalog
    untranslated = sorted(s for s in marked if not catalog.get(s))
    assert untranslated == []
