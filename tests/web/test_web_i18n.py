"""Languages: every string the server marks is translated, and the pages use the catalogue.

(tests/web/test_web_catalogues.py checks every catalogue is complete, not fuzzy and compiled.)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from catalogues import gettext_tool
from django.test import Client
from trial_factory import PASSWORD

import trialdesk.web


def test_a_user_sees_pages_in_spanish(trial):
    client = Client(headers={"Accept-Language": "es"})
    assert "Iniciar sesión" in client.get("/accounts/login/").content.decode()
    client.post("/accounts/login/", {"username": "investigator-co-01", "password": PASSWORD})
    body = client.get("/screen/").content.decode()
    assert "Evaluar a un paciente" in body and "Edad" in body  # template and protocol texts
    assert 'lang="es"' in body


def test_the_users_chosen_language_applies_at_sign_in(trial):
    from trialdesk.web.core.models import Membership

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
    xgettext = gettext_tool("xgettext")
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
    # a plural's forms are keyed (msgid, index)
    untranslated = sorted(s for s in marked if not (catalog.get(s) or catalog.get((s, 0))))
    assert untranslated == []
