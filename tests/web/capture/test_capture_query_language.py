"""Issue 19, automatic queries in the reader's language: a confirmed soft-range value's query by
its rule kind (the value and range as the reader's language writes them), a confirmed protocol
check's query in the protocol's own words, each on the query list, the query page and the form
page, by the field's label, not its code; the API keeps the English text and the rule code."""

from __future__ import annotations

import re

from capture_testkit import RESPIRATORY_OK, form_path
from login import signed_in_client

from trialdesk.web.capture.models import Query

COORD = "coordinator-co-01"
DAY0_RESPIRATORY = "/capture/participants/{code}/day0/respiratory/"


def _pages(ct, code: str, query: Query, language: str) -> dict[str, str]:
    client = signed_in_client(ct.users["data_manager"], language=language)
    return {path: _visible(client.get(path).content.decode()) for path in (
        "/capture/queries/?status=all", f"/capture/queries/{query.pk}/",
        DAY0_RESPIRATORY.format(code=code))}


def _visible(body: str) -> str:
    """A page's text as people read it (the codes in form values left out)."""
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_a_soft_range_query_reads_in_spanish_and_after_its_correction_too(ct):
    code = ct.randomize()
    coord = ct.api(COORD)
    saved = coord.put(form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 520},
                                        "confirm": ["pao2"]})
    assert saved.status_code == 201, saved.content
    query = Query.objects.get(participant__code=code)
    assert (query.kind, query.rule) == ("auto", "soft_range")
    for path, body in _pages(ct, code, query, "es").items():
        assert "520 mmHg está fuera del rango esperado, de 40 a 500 mmHg: confirme el valor." \
            in body, path
        assert "is outside the expected range" not in body, path
    listed = _pages(ct, code, query, "en")["/capture/queries/?status=all"]
    assert "520 mmHg is outside the expected range, 40 to 500 mmHg" in listed
    assert " day0 " not in listed and " pao2 " not in listed
    # the API keeps the stored English and the rule's code, for programs
    api_view = ct.api("data_manager").get(f"/api/v1/queries/{query.pk}").json()
    assert api_view["rule"] == "soft_range" and "outside the expected range" in api_view["text"]

    answered = coord.post(f"/api/v1/queries/{query.pk}/answer",
                          {"text": "Dígito equivocado.", "correction": {"pao2": 52},
                           "reason": "error de transcripción"})
    assert answered.json()["status"] == "closed"
    pages = _pages(ct, code, query, "es")
    for path in ("/capture/queries/?status=all", f"/capture/queries/{query.pk}/"):
        # the value is corrected: the rule's words without a value that no longer holds
        assert "Fuera del rango esperado, de 40 a 500 mmHg: confirme el valor." in pages[path]
        assert "52 mmHg" not in pages[path]
    assert "Cerrada automáticamente: el valor ya no incumple la regla." in pages[
        f"/capture/queries/{query.pk}/"]
    assert "closed automatically" not in pages[f"/capture/queries/{query.pk}/"]


def test_a_check_query_reads_in_the_protocols_own_spanish(ct):
    code = ct.randomize()
    saved = ct.api(COORD).put(form_path(code), {"values": {**RESPIRATORY_OK, "peep": 3},
                                                "confirm": ["peep", "peep_on_support"]})
    assert saved.status_code == 201, saved.content
    rules = set(Query.objects.filter(participant__code=code).values_list("rule", flat=True))
    assert "check:peep_on_support" in rules, rules
    query = Query.objects.get(participant__code=code, rule="check:peep_on_support")
    for path, body in _pages(ct, code, query, "es").items():
        assert "PEEP menor de 5 cmH2O en ventilación invasiva: confirme, por favor." in body, path
        assert "peep_on_support" not in body and "[check:" not in body, path
