"""Issue 19, one design: every page of the server links one stylesheet and the sortable-tables
script (served by the server itself, no build step), shows where it sits (breadcrumbs in the
reader's language) and states as badges in words."""

from __future__ import annotations

import re

import pytest
from enrollment import randomize
from login import signed_in_client

COORDINATOR = "coordinator-co-01"
RESPIRATORY = {"pao2": 520, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}


def _served(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_stylesheet_and_the_script_are_linked_and_served(trial):
    client = signed_in_client(trial.users["data_manager"])
    page = client.get("/capture/queries/").content.decode()
    css = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    script = re.search(r'<script src="([^"]+sortable\.js)" defer>', page).group(1)
    assert b".badge-warn" in _served(client, css) and b"@media" in _served(client, css)
    assert b"aria-sort" in _served(client, script)
    assert "<style>" not in page  # one stylesheet, not a copy per page


@pytest.mark.parametrize(("language", "words"), [
    ("en", ["Dashboard", "Data capture", "Breadcrumb"]),
    ("es", ["Panel", "Captura de datos", "Ruta de navegación"]),
])
def test_a_form_page_shows_its_trail_in_the_readers_language(trial, language, words):
    code, _kit = randomize(trial.api("investigator-co-01"))
    client = signed_in_client(trial.users[COORDINATOR], language=language)
    page = client.get(f"/capture/participants/{code}/day0/respiratory/").content.decode()
    trail = re.search(r'<nav class="breadcrumbs" aria-label="([^"]+)"><ol>(.*?)</ol></nav>',
                      page)
    assert trail is not None
    assert trail.group(1) == words[2]
    crumbs = re.findall(r"<li>(.*?)</li>", trail.group(2))
    assert [re.sub(r"<[^>]+>", "", crumb) for crumb in crumbs] == [words[0], words[1], code]
    assert f'href="/participants/{code}/"' in crumbs[2]
    # the section's own first page: the section is the current place, not a link
    worklist = client.get("/capture/worklist/").content.decode()
    assert f'<span aria-current="page">{words[1]}</span>' in worklist
    # the dashboard is the start: no trail
    assert 'class="breadcrumbs"' not in client.get("/").content.decode()


def test_a_querys_state_is_a_badge_in_words(trial):
    code, _kit = randomize(trial.api("investigator-co-01"))
    saved = trial.api(COORDINATOR).put(
        f"/api/v1/participants/{code}/visits/day0/forms/respiratory",
        {"values": RESPIRATORY, "confirm": ["pao2"]})
    assert saved.status_code == 201, saved.content
    page = signed_in_client(trial.users["data_manager"], language="es").get(
        "/capture/queries/").content.decode()
    assert '<span class="badge badge-warn" data-state="open">abierta</span>' in page


def _crumbs(page: str) -> list[str]:
    trail = re.search(r'<nav class="breadcrumbs"[^>]*><ol>(.*?)</ol></nav>', page)
    assert trail is not None
    return [re.sub(r"<[^>]+>", "", crumb) for crumb in re.findall(r"<li>(.*?)</li>",
                                                                   trail.group(1))]


def test_the_administration_pages_sit_in_their_section_for_those_who_open_it(trial):
    admin = signed_in_client(trial.users["admin"], language="es")
    assert _crumbs(admin.get("/administration/sites/").content.decode()) == [
        "Panel", "Administración"]
    # the investigator signs delegations but may not open the administration: no crumb to it
    investigator = signed_in_client(trial.users["investigator-co-01"])
    page = investigator.get("/administration/delegations/to-sign/")
    assert page.status_code == 200
    assert _crumbs(page.content.decode()) == ["Dashboard"]
