"""Screening data flow into the forms the protocol names (issue 16): offered, marked as such, stored
only when the user submits them, the audit record naming the values kept and those corrected;
never offered once the form is saved, nor to anyone who may not read the participant."""

from __future__ import annotations

from html.parser import HTMLParser

from capture_testkit import RESPIRATORY_OK, form_path, page_path, stored
from django.utils import timezone
from eligible import ELIGIBLE_VALUES
from login import login_page_client

from trialdesk.web.capture.models import FormInstance
from trialdesk.web.core.models import AuditRecord

COORD = "coordinator-co-01"
SCREENING_RESPIRATORY = {"pao2": 70, "fio2": 0.8, "peep": 10}


class _Form(HTMLParser):
    """The values a browser would submit from the page's case report form (id="crf")."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "form":
            self._inside = attr.get("id") == "crf"
        if not self._inside:
            return
        if tag == "input" and attr.get("name") and attr.get("type") != "checkbox":
            self.values[attr["name"]] = attr.get("value") or ""
        elif tag == "select":
            self._select = attr.get("name")
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in attr:
            self.values[self._select] = attr.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._inside = False


def _shown(body: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(body)
    return parser.values


def _save_audit(code: str, visit: str, form: str) -> AuditRecord:
    return AuditRecord.objects.filter(action="save_form",
                                      object_id=f"{code}/{visit}/{form}/1").latest("seq")


def test_the_api_shows_the_offer_marked_as_such_and_stores_nothing(ct):
    code = ct.randomize()
    api = ct.api(COORD)
    demographics = api.get(form_path(code, "screening", "demographics")).json()
    assert demographics["values"] == {} and demographics["status"] == "not_started"
    assert demographics["prefilled"] == {"source": "screening_record",
                                         "recorded_on": timezone.now().date().isoformat(),
                                         "values": {"age": 54}}
    day0 = api.get(form_path(code)).json()
    assert day0["prefilled"]["values"] == SCREENING_RESPIRATORY
    assert "prefilled" not in api.get(form_path(code, "day3")).json()
    assert "prefilled" not in api.get(form_path(code, "day0", "vital_signs")).json()
    listed = api.get(f"/api/v1/participants/{code}/visits/screening/forms").json()
    eligibility = next(f for f in listed if f["form"] == "eligibility")
    assert eligibility["prefilled"]["values"]["sars_cov2_pcr"] == "positive"
    assert not FormInstance.objects.filter(participant__code=code).exists()


def test_a_form_confirmed_on_the_page_stores_the_screening_values_without_retyping(ct):
    code = ct.randomize()
    client = login_page_client(COORD)
    page = client.get(page_path(code, "screening", "eligibility")).content.decode()
    assert 'id="prefill-notice"' in page and 'data-source="screening_record"' in page
    assert page.count('class="prefilled"') == 8
    shown = _shown(page)
    assert shown["prefilled_from"] == "screening_record"
    assert shown["sars_cov2_pcr"] == "positive" and shown["pregnant"] == "no"
    assert stored(code, "screening", "eligibility") == (None, None)  # a GET stores nothing
    response = client.post(page_path(code, "screening", "eligibility"),
                           {**shown, "action": "complete"})
    assert response.status_code == 302, response.content.decode()[:2000]
    values, _ = stored(code, "screening", "eligibility")
    assert values == {k: ELIGIBLE_VALUES[k] for k in values}
    assert len(values) == 8
    audit = _save_audit(code, "screening", "eligibility")
    source = audit.changes["prefilled_from"]["new"]
    assert source["source"] == "screening_record" and source["corrected"] == []
    assert source["kept"] == sorted(values)
    assert "screening_record" in audit.reason
    # saved: the page shows what was stored, and offers nothing any more
    again = client.get(page_path(code, "screening", "eligibility")).content.decode()
    assert 'id="prefill-notice"' not in again and 'name="prefilled_from"' not in again
    assert "prefilled" not in ct.api(COORD).get(form_path(code, "screening", "eligibility")).json()


def test_a_corrected_value_is_stored_as_corrected_and_the_audit_says_so(ct):
    code = ct.randomize()
    client = login_page_client(COORD)
    shown = _shown(client.get(page_path(code)).content.decode())
    assert (shown["pao2"], shown["fio2"], shown["peep"]) == ("70", "0.80", "10")
    assert shown["ventilation_mode"] == ""  # not asked at screening: the user fills it in
    response = client.post(page_path(code), {**shown, "pao2": "75", "ventilation_mode": "imv",
                                             "action": "draft"})
    assert response.status_code == 302
    values, _ = stored(code)
    assert (values["pao2"], values["fio2"], values["peep"]) == (75, 0.8, 10)
    source = _save_audit(code, "day0", "respiratory").changes["prefilled_from"]["new"]
    assert (source["kept"], source["corrected"]) == (["fio2", "peep"], ["pao2"])


def test_the_derived_ratio_of_the_offer_is_shown(ct):
    code = ct.randomize()
    page = login_page_client(COORD).get(page_path(code)).content.decode()
    assert '<output id="derived-pao2_fio2">88</output>' in page  # 70 / 0.8 = 87.5 -> 88


def test_an_api_save_names_its_source_only_when_told_and_refuses_an_unknown_one(ct):
    code = ct.randomize()
    api = ct.api(COORD)
    bad = api.put(form_path(code), {"values": SCREENING_RESPIRATORY, "prefilled_from": "lab"})
    assert bad.status_code == 422 and "prefilled_from" in bad.content.decode()
    assert stored(code) == (None, None)
    plain = api.put(form_path(code, "screening", "respiratory"), {"values": RESPIRATORY_OK})
    assert plain.status_code == 201
    assert "prefilled_from" not in _save_audit(code, "screening", "respiratory").changes
    told = api.put(form_path(code), {"values": {**SCREENING_RESPIRATORY,
                                                "ventilation_mode": "imv"},
                                     "prefilled_from": "screening_record"})
    assert told.status_code == 201
    source = _save_audit(code, "day0", "respiratory").changes["prefilled_from"]["new"]
    assert (source["kept"], source["corrected"]) == (["fio2", "pao2", "peep"], [])


def test_no_offer_to_another_site_and_none_for_a_form_already_saved(ct):
    code = ct.randomize()
    assert ct.api("coordinator-co-02").get(form_path(code, "screening",
                                                     "demographics")).status_code == 404
    ct.api(COORD).put(form_path(code), {"values": RESPIRATORY_OK})
    # the offer is read again at save time: a form saved since has none to record
    again = ct.api(COORD).put(form_path(code), {"values": SCREENING_RESPIRATORY,
                                                "prefilled_from": "screening_record"})
    assert again.status_code == 200
    assert "prefilled_from" not in _save_audit(code, "day0", "respiratory").changes


def test_the_offer_is_explained_in_spanish(ct):
    code = ct.randomize()
    page = login_page_client(COORD, language="es").get(
        page_path(code, "screening", "demographics")).content.decode()
    assert "Prellenado con los valores registrados en la selección del paciente" in page
    assert "prellenado, por confirmar" in page
