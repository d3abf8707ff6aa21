"""Cytokines below the assay's lower limit of quantification: entered as <LLOQ, stored censored
with the limit, shown as typed, a number below the limit refused (nothing stored)."""

from __future__ import annotations

from capture_testkit import form_path, page_path, stored
from login import signed_in_client

COORD = "coordinator-co-01"
VALUES = {"il1b": 2.5, "il6": "<LLOQ", "tnf_alpha": "<1", "il10": 14.2}


def test_below_the_limit_is_stored_censored_and_read_back_by_the_api(ct):
    code = ct.randomize()
    saved = ct.api(COORD).put(form_path(code, "day0", "cytokines"),
                              {"values": VALUES, "complete": True})
    assert saved.status_code == 201, saved.content
    values, _ = stored(code, "day0", "cytokines")
    assert values["il6"] == {"censored": "<", "limit": 1.5}
    assert values["tnf_alpha"] == {"censored": "<", "limit": 1.0}
    assert values["il1b"] == 2.5
    read = ct.api(COORD).get(form_path(code, "day0", "cytokines")).json()
    assert read["values"]["il6"] == {"censored": "<", "limit": 1.5}
    # what the API hands out it takes back unchanged (no new version)
    again = ct.api(COORD).put(form_path(code, "day0", "cytokines"),
                              {"values": read["values"], "complete": True,
                               "expected_version": read["version"]})
    assert again.status_code == 200 and again.json()["version"] == read["version"]


def test_a_number_below_the_limit_or_a_wrong_limit_is_refused_and_nothing_is_stored(ct):
    code = ct.randomize()
    for typed, rule in (("0", "below_lloq"), ("1.2", "below_lloq"), ("<1", "type")):
        response = ct.api(COORD).put(form_path(code, "day0", "cytokines"), {
            "values": {**VALUES, "il6": typed}, "complete": True})
        assert response.status_code == 422, typed
        problem = response.json()["fields"][0]
        assert (problem["field"], problem["rule"]) == ("il6", rule)
        assert stored(code, "day0", "cytokines") == (None, None)
    refused = ct.api(COORD).put(form_path(code, "day0", "cytokines"), {
        "values": {**VALUES, "il6": "0"}, "complete": True}).json()["fields"][0]
    assert "enter <1.5" in refused["message"]


def test_the_page_shows_the_censored_value_as_typed_with_its_unit(ct):
    code = ct.randomize()
    client = signed_in_client(ct.users[COORD])
    posted = client.post(page_path(code, "day0", "cytokines"),
                         {**VALUES, "action": "complete"})
    assert posted.status_code == 302, posted.content.decode()[:2000]
    body = client.get(page_path(code, "day0", "cytokines")).content.decode()
    row = body.split('id="row-il6"')[1].split("</tr>")[0]
    assert 'value="&lt;1.5"' in row and "pg/mL" in row
    refused = client.post(page_path(code, "day0", "cytokines"),
                          {**VALUES, "il6": "1.0", "action": "complete", "reason": "x"})
    assert refused.status_code == 422
    assert "below the assay&#x27;s lower limit of quantification" in refused.content.decode()


def test_spanish_page_help_names_the_limit(ct):
    code = ct.randomize()
    client = signed_in_client(ct.users[COORD])
    client.cookies["django_language"] = "es"
    body = client.get(page_path(code, "day0", "cytokines"),
                      HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "límite inferior de cuantificación del ensayo (1.5 pg/mL) registre &lt;1.5" in body


def test_a_query_on_a_censored_value_shows_it_as_typed(ct):
    """The query page shows "<1.5", not the stored structure."""
    code = ct.randomize()
    ct.api(COORD).put(form_path(code, "day0", "cytokines"), {"values": VALUES, "complete": True})
    raised = ct.api("data_manager").post(form_path(code, "day0", "cytokines") + "/queries",
                                         {"field": "il6", "text": "Was it re-assayed?"})
    assert raised.status_code == 201, raised.content
    page = signed_in_client(ct.users[COORD]).get(f"/capture/queries/{raised.json()['id']}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="current-value">&lt;1.5<' in body and "censored" not in body
