"""Pages across participants: worklist, queries, completeness, locks, import, and the links and
open-query counts added to the server's dashboard and participant page."""

from __future__ import annotations

import re

from capture_testkit import RESPIRATORY_OK, form_path, page_path, stored
from lock_override import lock as lock_with_override
from login import login_page_client

from trialdesk.web.capture.models import Lock, Query

COORD = "coordinator-co-01"


def _with_query(ct):
    code = ct.randomize()
    ct.api(COORD).put(form_path(code), {"values": {**RESPIRATORY_OK, "pao2": 520},
                                        "complete": True, "confirm": ["pao2"]})
    return code, Query.objects.get(participant__code=code)


def test_dashboard_and_participant_page_link_to_data_capture_with_open_query_counts(ct):
    code, _ = _with_query(ct)
    client = login_page_client(COORD)
    dashboard = client.get("/").content.decode()
    assert 'href="/capture/worklist/"' in dashboard
    assert '<span class="site-count" data-site="CO-01">CO-01: 1</span>' in dashboard
    assert f'href="/capture/participants/{code}/"' in client.get(
        f"/participants/{code}/").content.decode()


def test_worklist_shows_the_sites_participants_with_drafts_and_open_queries(ct):
    code, _ = _with_query(ct)
    other = ct.randomize("co-02")
    body = login_page_client(COORD).get("/capture/worklist/").content.decode()
    assert code in body and other not in body
    assert "0 forms in draft, 1 open queries." in body
    manager = login_page_client("data_manager").get(
        "/capture/worklist/?site=CO-02").content.decode()
    assert other in manager and code not in manager


def test_site_answers_and_data_manager_closes_a_query_on_the_pages(ct):
    code, query = _with_query(ct)
    path = f"/capture/queries/{query.pk}/"
    coord = login_page_client(COORD)
    no_reason = coord.post(path, {"action": "answer", "text": "Checked", "correction": "480"})
    assert no_reason.status_code == 422
    # said beside the reason's field (issue 19), not as a field code above the form
    page = no_reason.content.decode()
    assert re.search(r'name="reason" size="60"><span class="errorlist" role="alert" '
                     r'id="reason-error">[^<]+</span>', page)
    assert 'id="query-error"' not in page
    response = coord.post(path, {"action": "answer", "text": "Re-read the gas",
                                 "correction": "480", "reason": "transcription"})
    assert response.status_code == 302
    assert stored(code)[0]["pao2"] == 480
    query.refresh_from_db()
    assert query.status == "closed"  # the corrected value no longer breaks the rule
    manager = login_page_client("data_manager")
    assert manager.post(path, {"action": "reopen", "text": "Source says 520"}).status_code == 302
    assert coord.post(path, {"action": "answer", "text": "Confirmed 520"}).status_code == 302
    assert manager.post(path, {"action": "close"}).status_code == 302
    query.refresh_from_db()
    assert query.status == "closed"
    assert coord.post(path, {"action": "close"}).status_code == 403


def test_data_manager_raises_a_query_from_the_form_page(ct):
    code, _ = _with_query(ct)
    response = login_page_client("data_manager").post(page_path(code) + "query/",
                                          {"field": "fio2", "text": "Is this 0.5?"})
    assert response.status_code == 302
    assert Query.objects.filter(field="fio2", kind="manual").count() == 1


def test_completeness_page_counts_expected_and_complete_forms_per_site_and_visit(ct):
    code, _ = _with_query(ct)
    body = login_page_client("data_manager").get("/capture/completeness/").content.decode()
    # day 0 is due today: five forms expected, one complete; the screening visit as well
    assert "<td>CO-01</td><td>Day 0 (randomization)</td><td>5</td><td>1</td><td>20.0</td>" in body
    assert f"{code} · Vital signs" in body and "vital_signs<" not in body  # issue 19
    spanish = login_page_client("data_manager", language="es").get(
        "/capture/completeness/").content.decode()
    assert f"{code} · Signos vitales" in spanish


def test_locks_page_locks_and_unlocks_the_database_with_a_reason(ct):
    code, _ = _with_query(ct)
    manager = login_page_client("data_manager")
    # the open query, the missing and unsigned forms: refused with the list
    refusal = manager.post("/capture/locks/", {"scope": "database", "reason": "final"})
    assert refusal.status_code == 409
    assert 'data-reason="checklist_outstanding"' in refusal.content.decode()
    assert not Lock.objects.exists()
    assert lock_with_override(ct.api("data_manager"), ct.api("principal_investigator"),
                              {"scope": "database", "reason": "final"}).status_code == 201
    assert 'id="database-locked"' in manager.get("/capture/locks/").content.decode()
    lock = Lock.objects.get(scope="database")
    refused = login_page_client(COORD).post(page_path(code, form="vital_signs"),
                                            {"heart_rate": "80"})
    assert refused.status_code == 409
    manager.post("/capture/locks/", {"action": "unlock", "lock": lock.pk, "reason": ""})
    assert Lock.objects.get(pk=lock.pk).unlocked_at is None
    manager.post("/capture/locks/", {"action": "unlock", "lock": lock.pk, "reason": "SAE"})
    assert Lock.objects.get(pk=lock.pk).unlock_reason == "SAE"
    assert login_page_client(COORD).get("/capture/locks/").status_code == 403


def test_import_page_reports_row_errors(ct):
    code = ct.randomize()
    csv_text = ("participant,visit,form,heart_rate,systolic_bp,diastolic_bp,temperature\n"
                f"{code},day0,vital_signs,80,120,70,37.0\n"
                f"{code},day1,vital_signs,80,120,130,37.0\n")
    response = login_page_client(COORD).post("/capture/import/",
                                             {"format": "csv", "text": csv_text})
    assert response.status_code == 422
    body = response.content.decode()
    assert "1 of 2 rows saved." in body
    assert ("<td>2</td><td>diastolic_bp,systolic_bp</td>"
            "<td>check:diastolic_below_systolic</td>") in body


def test_repeating_log_forms_are_listed_and_entered_by_sequence_number(ct):
    code = ct.randomize()
    client = login_page_client(COORD)
    page = client.get(f"/capture/participants/{code}/").content.decode()
    assert f'href="/capture/participants/{code}/log/adverse_event/?seq=1"' in page
    entry = {"ae_term": "Rash", "ae_onset_date": "2026-01-10", "ae_grade": "1",
             "ae_serious": "no", "ae_relatedness": "possible", "action": "draft"}
    for seq in (1, 2):
        response = client.post(f"/capture/participants/{code}/log/adverse_event/?seq={seq}", entry)
        assert response.status_code == 302
    page = client.get(f"/capture/participants/{code}/").content.decode()
    assert "?seq=3" in page and ">#2</a>" in page
    assert stored(code, "log", "adverse_event")[0] is not None


def test_worklist_writes_the_next_visit_by_name_and_its_date_as_the_language_does(ct):
    """Visit names, not codes; the target date as the reader's language writes it, with the
    ISO date kept for machines in the time element (issue 19)."""
    import datetime as dt
    import re

    ct.randomize()
    spanish = login_page_client(COORD, language="es").get("/capture/worklist/").content.decode()
    row = re.search(r'<tr class="worklist-row".*?</tr>', spanish, re.S).group(0)
    iso = re.search(r'<time datetime="(\d{4}-\d\d-\d\d)">([^<]+)</time>', row)
    assert iso, row
    assert iso.group(2) == dt.date.fromisoformat(iso.group(1)).strftime("%d/%m/%Y")
    assert "<td>day" not in row  # the visit's name, not its code


def test_a_query_names_its_visit_form_and_field_in_words_and_codes_only_on_demand(ct):
    """The query page in Spanish: visit and form by name, the field by its label; the field's
    and the rule's codes only in a data manager's "show codes" mode (issue 19)."""
    _, query = _with_query(ct)
    path = f"/capture/queries/{query.pk}/"
    spanish = login_page_client(COORD, language="es").get(path).content.decode()
    assert "Día 0 (aleatorización) · Respiratorio" in spanish
    assert "<code>" not in spanish and "· day0 ·" not in spanish and "soft_range" not in spanish
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", spanish)  # no ISO time stamps
    coded = login_page_client("data_manager").get(path + "?codes=1").content.decode()
    assert "<code>pao2</code>" in coded and "<code>soft_range</code>" in coded
    assert "<code>" not in login_page_client(COORD).get(path + "?codes=1").content.decode()
