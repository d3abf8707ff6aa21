"""Issue 19, one design: a form's refusal is shown beside the field it names (the layout's
``field_error``), in the reader's language, not as a code above the form."""

from __future__ import annotations

import re

import pytest
from login import signed_in_client


def _beside(page: str, field: str) -> str:
    """The label holding the input ``field`` and what it says next to it."""
    label = re.search(rf'<label>(?:(?!</label>).)*name="{field}"(?:(?!</label>).)*</label>',
                      page, re.S)
    assert label, f"no label around {field}"
    return label.group(0)


@pytest.mark.parametrize(("language", "rule"), [
    ("en", "expected a date, YYYY-MM-DD"), ("es", "se esperaba una fecha, AAAA-MM-DD")])
def test_the_monitors_visit_plan_shows_a_bad_date_beside_its_field(trial, language, rule):
    monitor = signed_in_client(trial.users["monitor"], language=language)
    response = monitor.post("/monitoring/", {"site": "CO-01", "kind": "on_site",
                                             "planned_date": "", "monitor": "monitor"})
    assert response.status_code == 422
    page = response.content.decode()
    error = f'<span class="errorlist" role="alert" id="planned_date-error">{rule}</span>'
    assert error in _beside(page, "planned_date")
    assert page.count('class="errorlist"') == 1 and "planned_date:" not in page


def test_a_dsmb_meetings_bad_cutoff_is_shown_beside_the_cutoff(trial):
    dsmb = signed_in_client(trial.users["dsmb_statistician"], language="es")
    response = dsmb.post("/dsmb/", {"date": "2026-12-01", "kind": "scheduled",
                                    "cutoff": "1 de diciembre"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="cutoff-error">se esperaba una fecha, AAAA-MM-DD</span>' in _beside(page, "cutoff")
    assert 'id="date-error"' not in page and "cutoff:" not in page
