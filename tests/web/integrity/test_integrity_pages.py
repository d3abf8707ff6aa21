"""Page form POSTs: every URL pattern, posted empty and posted garbage, by the writing roles.

Routes come from the URL configuration (like the blinding matrix), so a new page is covered
without editing this file; one that newly accepts POST must be added to ``POST_PAGES`` below.
No such post may end in a server error or change a table without an audit record (an empty
draft form is a save like any other: audited).
"""

from __future__ import annotations

import json

import pytest
from blinding_matrix import concrete_paths, url_routes
from django.core.files.uploadedfile import SimpleUploadedFile
from integrity_kit import dump_database
from login import signed_in_client

from trialdesk.web.capture.models import Lock

# The pages that take a POST (the others answer 405). Their writes go through the same actions
# as the API operations (test_integrity_write_paths.py); here: that bad posts write nothing.
POST_PAGES = {
    "/", "/accounts/language/", "/accounts/login/", "/audit/", "/capture/completeness/",
    "/capture/import/", "/capture/locks/", "/capture/locks/readiness/",
    "/capture/participants/{code}/",
    "/capture/participants/{code}/day0/respiratory/",
    "/capture/participants/{code}/day0/respiratory/check/",
    "/capture/participants/{code}/day0/respiratory/query/",
    "/capture/participants/{code}/day0/respiratory/sign/",
    "/capture/participants/{code}/day0/not-done/", "/capture/participants/{code}/day0/sign/",
    "/capture/participants/{code}/discontinue/", "/capture/queries/", "/capture/queries/1/",
    "/capture/worklist/", "/design/simulate/", "/final-unblinding/", "/i18n/setlang/",
    "/participants/{code}/", "/participants/{code}/randomize/", "/participants/{code}/unblind/",
    "/pharmacy/", "/screen/", "/screen/check/",
    # adverse events (issue 15)
    "/safety/report/", "/safety/coding/", "/safety/events/1/edit/", "/safety/events/1/follow-up/",
    # the DSMB (issue 15)
    "/dsmb/", "/dsmb/meetings/1/reports/", "/dsmb/meetings/1/recommendation/",
    "/dsmb/recommendations/1/response/",
    # the protocol deviation log (issue 16)
    "/deviations/report/", "/deviations/1/edit/", "/deviations/1/close/",
    "/deviations/1/reopen/",
    # monitoring (issue 16)
    "/monitoring/", "/monitoring/records/1/1/", "/monitoring/visits/1/",
    "/monitoring/visits/1/findings/", "/monitoring/visits/1/action-items/",
    "/monitoring/action-items/1/",
    # consent's later events (issue 17)
    "/participants/{code}/consent/capacity-regained/",
    "/participants/{code}/consent/confirmation/", "/participants/{code}/consent/refusal/",
    "/participants/{code}/consent/withdrawal/",
    # amendments: a site's approval, a re-consent (issue 17)
    "/amendments/1/approve/", "/participants/{code}/consent/reconsent/",
    # data exports (issue 21)
    "/exports/",
    # the cell product's supply chain: every write posts to one page (issue 18)
    "/supply/do/",
    # a site replaces a damaged or expired kit (issue 18)
    "/supply/replace/",
    # the REDCap-compatible API: one POST URL, its token in the body (issue 22)
    "/redcap/api/",
    # the administrator tries an undelivered e-mail again (issue 20)
    "/outbox/1/retry",
    # the administration pages, the PI's signature of a delegation, one's own password (issue 20)
    "/administration/sites/new", "/administration/sites/{code}/settings",
    "/administration/sites/{code}/status", "/administration/users/new",
    "/administration/users/1/roles", "/administration/users/1/training",
    "/administration/users/1/deactivate", "/administration/users/1/password",
    "/administration/users/1/delegations/end", "/administration/delegations/1/sign",
    "/administration/password/",
    # the role a person with several acts as; the sign-in's second step and two-factor set-up
    "/accounts/role/", "/accounts/login/code/", "/accounts/two-factor/",
    # the analysis report's Generate button queues a job (issue 20): it carries no field, so any
    # post is that request, queued and audited like an empty draft form's save
    "/reports/",
}
# signing with a wrong (here: empty) password is audited, so that guessing is throttled
AUDITED_REFUSALS = {"signature_password_failed"}
AUDIT_TABLES = ("trials_auditrecord", "trials_auditanchor")
# the roles that write through pages (the coordinator's writes are a subset of the investigator's)
VIEWERS = ("investigator-co-01", "pharmacist-co-01", "data_manager", "dsmb_statistician")
GARBAGE = {
    "scope": "everything", "action": "unlock", "lock": "abc", "seq": "-x",
    "participant": "💥" * 5000,
    "visit": "day0", "form": "respiratory", "date": "31/12/2026", "kind": "vanished",
    "consent_date": "yesterday", "form_version": "x" * 5000, "lot": "", "reason": "",
    "idempotency_key": "short", "values": "{", "format": "xml", "text": "", "language": "xx",
    "field": "no_such_field", "correction": "NaN", "pao2": "Infinity", "age": "-1",
    "kit_code": "NOPE", "password": "", "confirm": "everything",
}


def _post_routes(code: str, kit: str) -> list[str]:
    samples = {"code": [code], "kit_code": [kit], "visit": ["day0"], "form": ["respiratory"],
               "query_id": ["1"], "job_id": ["no-such-job"], "kind": ["two-means"]}
    return sorted({path for route in set(url_routes()) for path in concrete_paths(route, samples)
                   if not path.startswith(("/api/", "/accounts/logout/"))})


def _silent_changes(before: dict, after: dict) -> list[str]:
    """Return the tables changed without an audit record saying so."""
    changed = [table for table in before
               if table not in AUDIT_TABLES and before[table] != after[table]]
    new_audit = after["trials_auditrecord"][len(before["trials_auditrecord"]):]
    if not changed:
        return [f"audit {r['action']}" for r in new_audit
                if r["action"] not in AUDITED_REFUSALS]
    return [] if new_audit else changed


# plausible values, each with a NUL character (PostgreSQL cannot store one)
WITH_NUL = {"reason": "transferred\x00", "text": "please\x00check", "kind": "withdrew",
            "date": "2026-01-02", "field": "pao2", "lot": "LOT\x001", "scope": "participant",
            "participant": "CO-01-0001", "pao2": "80\x00", "fio2": "0.5", "peep": "10",
            "ventilation_mode": "imv", "consent_date": "2026-01-05", "form_version": "1\x00"}


@pytest.mark.parametrize("payload", ["empty", "garbage", "nul"])
def test_a_bad_post_to_any_page_stores_nothing_and_is_no_server_error(scenarios, payload):
    code, kit = scenarios.randomized()
    data = {"empty": {}, "garbage": GARBAGE, "nul": WITH_NUL}[payload]
    accepting, problems = set(), []
    for username in VIEWERS:
        client = signed_in_client(scenarios.users[username], raise_request_exception=False)
        # each post's "after" is the next one's "before": only the posts write in between
        before = dump_database()
        for path in _post_routes(code, kit):
            response = client.post(path, data)
            if response.status_code != 405:
                accepting.add(path.replace(code, "{code}"))
            if response.status_code >= 500:
                problems.append(f"{username} {path}: {response.status_code}")
            after = dump_database()
            changed = _silent_changes(before, after)
            if changed:
                problems.append(f"{username} {path}: stored without an audit record {changed}")
            before = after
    assert problems == []
    assert accepting == POST_PAGES
    assert "\\u0000" not in json.dumps(dump_database(), default=str)


def test_a_lock_post_without_a_scope_locks_nothing(scenarios):
    client = signed_in_client(scenarios.users["data_manager"])
    response = client.post("/capture/locks/", {"reason": "end of study"}, follow=True)
    assert response.status_code == 200
    assert not Lock.objects.exists()
    assert "scope: must be form, participant or database" in response.content.decode()
    response = client.post("/capture/locks/", {"scope": "database", "reason": "end of study"})
    assert Lock.objects.filter(scope=Lock.DATABASE).count() == 1


def test_an_uploaded_import_with_a_nul_character_stores_nothing(scenarios):
    code, _ = scenarios.randomized()
    client = signed_in_client(scenarios.users["coordinator-co-01"])
    text = ("participant,visit,form,kit_code,infusion_start,infusion_end,infusion_reaction\n"
            f"{code},day1,infusion,K\x001,2026-01-06T10:00,2026-01-06T11:00,no\n")
    upload = SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv")
    before = dump_database()
    response = client.post("/capture/import/", {"format": "csv", "file": upload})
    assert response.status_code == 422
    assert "kit_code" in response.content.decode()
    assert dump_database() == before
