"""Units on the pages in the reader's language: the screening form and a visit's form (issue 19)."""

from __future__ import annotations

from enrollment import randomize, screen
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


def test_the_screening_values_read_a_choice_by_its_label(trial):
    """The participant page's screening values: "PCR para SARS-CoV-2: Positiva", not the stored
    code "positive" (issue 19)."""
    code = screen(trial.api("coordinator-co-01"))["code"]
    for language, words in (("es", "PCR para SARS-CoV-2: Positiva"),
                            ("en", "SARS-CoV-2 PCR: Positive")):
        body = signed_in_client(trial.users["coordinator-co-01"], language=language).get(
            f"/participants/{code}/").content.decode()
        assert words in body and ": positive<" not in body
