"""Units on the pages in the reader's language: the screening form and a visit's form (issue 19)."""

from __future__ import annotations

from enrollment import randomize
from login import signed_in_client


def test_the_screening_form_writes_its_units_in_spanish(trial):
    client = signed_in_client(trial.users["coordinator-co-01"], language="es")
    body = client.get("/screen/").content.decode()
    assert "Edad (años)" in body and "(years)" not in body


def test_a_visit_form_writes_its_units_in_spanish(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    client = signed_in_client(trial.users["coordinator-co-01"], language="es")
    body = client.get(f"/capture/participants/{code}/day0/vital_signs/").content
    body = body.decode()
    assert "latidos/min" in body and "beats/min" not in body
    english = signed_in_client(trial.users["coordinator-co-01"], language="en").get(
        f"/capture/participants/{code}/day0/vital_signs/").content.decode()
    assert "beats/min" in english
