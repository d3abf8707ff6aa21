"""Helpers of the integrity tests: the write operations of the API, a builder of a valid request
for each, and a dump of every stored trial table to compare before and after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import lock_override
from api_client import ApiClient
from days import site_today
from django.apps import apps
from eligible import ELIGIBLE_VALUES
from enrollment import CONSENT
from trial_factory import PASSWORD

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# the apps whose tables hold trial data, accounts and the audit trail
DATA_APPS = ("core", "trials", "capture", "accounts", "auth", "safety", "dsmb", "monitoring",
             "deviations", "supply", "amendments", "redcap", "reports")

RESPIRATORY_OK = {"pao2": 80, "fio2": 0.5, "peep": 10, "ventilation_mode": "imv"}
VITALS_OK = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 80, "temperature": 37.0}
INFUSION_OK = {"kit_code": "K1", "infusion_start": "2026-01-06T10:00",
               "infusion_end": "2026-01-06T11:00", "infusion_reaction": "no"}
INVESTIGATOR, COORDINATOR = "investigator-co-01", "coordinator-co-01"
CLIENT_USERS = (None, INVESTIGATOR, COORDINATOR, "pharmacist-co-01", "data_manager",
                "dsmb_statistician", "monitor", "principal_investigator")


def openapi_schema() -> dict[str, Any]:
    """Return the API's OpenAPI schema (what /api/v1/openapi.json serves); no database needed."""
    from trialdesk.web.api.router import api

    return api.get_openapi_schema()


def write_operations() -> list[tuple[str, str]]:
    """Return (method, path) of every writing operation of the API's OpenAPI schema."""
    return sorted((method.upper(), path) for path, methods in openapi_schema()["paths"].items()
                  for method in methods if method.upper() in WRITE_METHODS)


def dump_database() -> dict[str, list[dict[str, Any]]]:
    """Return every row of every data table, by table, in primary-key order."""
    dump = {}
    for label in DATA_APPS:
        for model in apps.get_app_config(label).get_models():
            dump[model._meta.db_table] = list(model.objects.order_by("pk").values())
    return dump


@dataclass
class WriteRequest:
    """One valid request of a write operation, and what its audit record must hold."""

    username: str | None
    method: str
    path: str
    body: dict[str, Any]
    actions: tuple[str, ...]  # audit actions it appends, in order (empty: writes nothing)
    actor: str = ""
    reason: str = ""  # the reason every one of its audit records must carry
    extra: dict[str, Any] = field(default_factory=dict)


def form_path(code: str, visit: str = "day0", form: str = "respiratory") -> str:
    return f"/api/v1/participants/{code}/visits/{visit}/forms/{form}"


class Scenarios:
    """For each write operation of the API, the state it needs and a valid request."""

    def __init__(self, users: dict[str, Any]) -> None:
        self.users = users
        self._apis: dict[str | None, ApiClient] = {}
        # tokens first, so that a dump taken later is not changed by issuing one
        for username in CLIENT_USERS:
            self.api(username)

    def api(self, username: str | None) -> ApiClient:
        """The user's API client (anonymous for ``None``); a server error is a 500 answer."""
        if username not in self._apis:
            user = None if username is None else self.users[username]
            self._apis[username] = ApiClient(user, raise_request_exception=False)
        return self._apis[username]

    # --- state -------------------------------------------------------------------------------
    def screened(self) -> str:
        body = self.api(INVESTIGATOR).ok("POST", "/api/v1/participants",
                                         {"values": ELIGIBLE_VALUES})
        return body["code"]

    def consented(self) -> str:
        code = self.screened()
        self.api(INVESTIGATOR).ok("POST", f"/api/v1/participants/{code}/consent",
                                  CONSENT)
        return code

    def randomized(self) -> tuple[str, str]:
        code = self.consented()
        result = self.api(INVESTIGATOR).ok("POST", f"/api/v1/participants/{code}/randomize", {})
        return code, result["kit_code"]

    def completed_form(self) -> str:
        code, _ = self.randomized()
        self.api(COORDINATOR).ok("PUT", form_path(code),
                                 {"values": RESPIRATORY_OK, "complete": True})
        return code

    def open_query(self) -> tuple[str, int]:
        code = self.completed_form()
        query = self.api("data_manager").ok("POST", form_path(code) + "/queries",
                                            {"field": "pao2", "text": "Please check the PaO2"})
        return code, query["id"]

    def database_locked(self) -> None:
        # the trial's forms are not all in: locked through the two-person override
        answer = lock_override.lock(self.api("data_manager"), self.api("principal_investigator"),
                                    {"scope": "database", "reason": "last visit done"})
        assert answer.status_code == 201, answer.content

    def signed_form(self) -> str:
        code = self.completed_form()
        self.api(INVESTIGATOR).ok("POST", form_path(code) + "/sign", {"password": PASSWORD})
        return code

    def override_requested(self) -> tuple[str, int, str]:
        """A participant with forms missing, and the data manager's request to lock anyway."""
        code = self.completed_form()
        reason = "site closed; the missing forms cannot be obtained"
        override = self.api("data_manager").ok(
            "POST", "/api/v1/locks/overrides",
            {"scope": "participant", "participant": code, "reason": reason,
             "password": PASSWORD})
        return code, override["id"], reason

    # --- one valid request per operation -------------------------------------------------------
    def build(self, method: str, path: str) -> WriteRequest:
        """Return a valid request of the operation; fail for an operation without a builder."""
        builder = BUILDERS.get((method, path))
        assert builder is not None, (
            f"{method} {path} is a new write operation: add its builder to integrity_kit.BUILDERS "
            "so that its transaction, audit record and input checks are tested")
        request = builder(self)
        request.actor = request.actor or request.username or ""
        return request


def _token(s: Scenarios) -> WriteRequest:
    return WriteRequest(None, "POST", "/api/v1/auth/token",
                        {"username": "monitor", "password": PASSWORD}, ("issue_token",),
                        actor="monitor")


def _screen(s: Scenarios) -> WriteRequest:
    return WriteRequest(INVESTIGATOR, "POST", "/api/v1/participants",
                        {"values": ELIGIBLE_VALUES}, ("screen",))


def _eligibility(s: Scenarios) -> WriteRequest:
    # evaluates without storing: a POST that must write nothing at all
    return WriteRequest(INVESTIGATOR, "POST", "/api/v1/eligibility",
                        {"values": ELIGIBLE_VALUES}, ())


def _correct(s: Scenarios) -> WriteRequest:
    code = s.screened()
    reason = "age was transcribed wrongly from the chart"
    return WriteRequest(INVESTIGATOR, "PATCH", f"/api/v1/participants/{code}/screening",
                        {"values": {"age": 61}, "reason": reason}, ("correct_screening",),
                        reason=reason, extra={"changes": {"age": {"old": 54, "new": 61}}})


def _consent(s: Scenarios) -> WriteRequest:
    code = s.screened()
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/consent",
                        CONSENT, ("consent",))


def _randomize(s: Scenarios) -> WriteRequest:
    code = s.consented()
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/randomize",
                        {"idempotency_key": "integrity-0001"}, ("randomize",))


def _dispense(s: Scenarios) -> WriteRequest:
    _, kit = s.randomized()
    return WriteRequest("pharmacist-co-01", "POST", f"/api/v1/kits/{kit}/dispense",
                        {"lot": "LOT-2026-01"}, ("dispense",))


def _unblind(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    reason = "anaphylaxis: the treating team needs the arm"
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/unblind",
                        {"reason": reason}, ("emergency_unblind",), reason=reason)


def _request_final(s: Scenarios) -> WriteRequest:
    s.randomized()
    s.database_locked()
    reason = "database locked; final analysis per the SAP"
    return WriteRequest("data_manager", "POST", "/api/v1/final-unblinding", {"reason": reason},
                        ("request_final_unblinding",), reason=reason)


def _approve_final(s: Scenarios) -> WriteRequest:
    s.randomized()
    s.database_locked()
    s.api("data_manager").ok("POST", "/api/v1/final-unblinding",
                             {"reason": "database locked; final analysis per the SAP"})
    reason = "the DSMB reviewed the lock and approves"
    return WriteRequest("dsmb_statistician", "POST", "/api/v1/final-unblinding/approve",
                        {"reason": reason}, ("final_unblind",), reason=reason)


def _save_form(s: Scenarios) -> WriteRequest:
    # a change to a complete, signed form: field-level old/new, the reason, the voided signature
    code = s.completed_form()
    s.api(INVESTIGATOR).ok("POST", form_path(code) + "/sign", {"password": PASSWORD})
    reason = "PaO2 corrected from the blood gas print-out"
    return WriteRequest(COORDINATOR, "PUT", form_path(code) + "?seq=1",
                        {"values": {**RESPIRATORY_OK, "pao2": 85}, "complete": True,
                         "reason": reason}, ("void_signature", "save_form"), reason=reason,
                        extra={"changes": {"pao2": {"old": 80, "new": 85}}})


def _sign_form(s: Scenarios) -> WriteRequest:
    code = s.completed_form()
    return WriteRequest(INVESTIGATOR, "POST", form_path(code) + "/sign?seq=1",
                        {"password": PASSWORD}, ("sign_form",))


def _sign_visit(s: Scenarios) -> WriteRequest:
    code, kit = s.randomized()
    coordinator = s.api(COORDINATOR)
    coordinator.ok("PUT", form_path(code, "day1", "vital_signs"),
                   {"values": VITALS_OK, "complete": True})
    coordinator.ok("PUT", form_path(code, "day1", "infusion"),
                   {"values": {**INFUSION_OK, "kit_code": kit}, "complete": True})
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/visits/day1/sign",
                        {"password": PASSWORD}, ("sign_form", "sign_form"))


def _sign_visits(s: Scenarios) -> WriteRequest:
    visits = []
    for _ in range(2):
        code, kit = s.randomized()
        coordinator = s.api(COORDINATOR)
        coordinator.ok("PUT", form_path(code, "day1", "vital_signs"),
                       {"values": VITALS_OK, "complete": True})
        coordinator.ok("PUT", form_path(code, "day1", "infusion"),
                       {"values": {**INFUSION_OK, "kit_code": kit}, "complete": True})
        visits.append({"participant": code, "visit": "day1"})
    # and a single form entry, in the same session (one password entry for all five)
    forms = [{"participant": s.completed_form(), "visit": "day0", "form": "respiratory"}]
    return WriteRequest(INVESTIGATOR, "POST", "/api/v1/signatures",
                        {"password": PASSWORD, "visits": visits, "forms": forms},
                        ("sign_form",) * 5)


def _not_done(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    reason = "transferred to another hospital"
    return WriteRequest(COORDINATOR, "POST", f"/api/v1/participants/{code}/visits/day3/not-done",
                        {"reason": reason}, ("visit_not_done",), reason=reason)


def _discontinue(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    reason = "withdrew consent for follow-up"
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    return WriteRequest(COORDINATOR, "POST", f"/api/v1/participants/{code}/discontinue",
                        {"kind": "withdrew", "date": yesterday.isoformat(), "reason": reason},
                        ("discontinue",), reason=reason)


def _raise_query(s: Scenarios) -> WriteRequest:
    code = s.completed_form()
    text = "Is the PaO2 from the same blood gas?"
    return WriteRequest("data_manager", "POST", form_path(code) + "/queries?seq=1",
                        {"field": "pao2", "text": text}, ("raise_query",), reason=text)


def _answer_query(s: Scenarios) -> WriteRequest:
    _, query_id = s.open_query()
    reason = "PaO2 corrected from the blood gas print-out"
    return WriteRequest(COORDINATOR, "POST", f"/api/v1/queries/{query_id}/answer",
                        {"text": "corrected", "correction": {"pao2": 85}, "reason": reason},
                        ("save_form", "answer_query"),
                        extra={"changes": {"pao2": {"old": 80, "new": 85}},
                               "reasons": (reason, "corrected")})


def _close_query(s: Scenarios) -> WriteRequest:
    _, query_id = s.open_query()
    return WriteRequest("data_manager", "POST", f"/api/v1/queries/{query_id}/close",
                        {"text": "resolved on review"}, ("close_query",),
                        reason="resolved on review")


def _reopen_query(s: Scenarios) -> WriteRequest:
    _, query_id = s.open_query()
    s.api("data_manager").ok("POST", f"/api/v1/queries/{query_id}/close", {"text": "ok"})
    return WriteRequest("data_manager", "POST", f"/api/v1/queries/{query_id}/reopen",
                        {"text": "the print-out disagrees"}, ("reopen_query",),
                        reason="the print-out disagrees")


def _source_verified(s: Scenarios, code: str) -> str:
    """The form's source data verified by the monitor: the random SDV sample may include it, and
    an unverified planned record holds up its lock."""
    from trialdesk.web.capture.models import FormInstance

    form = FormInstance.objects.get(participant__code=code, visit="day0", form="respiratory",
                                    seq=1)
    s.api("monitor").ok("POST", f"/api/v1/monitoring/records/form/{form.pk}/verification",
                        {"visit": _monitoring_visit(s), "status": "verified"})
    return code


def _lock(s: Scenarios) -> WriteRequest:
    code = _source_verified(s, s.signed_form())  # nothing outstanding on it
    return WriteRequest("data_manager", "POST", "/api/v1/locks",
                        {"scope": "form", "participant": code, "visit": "day0",
                         "form": "respiratory", "reason": "cleaned"}, ("lock",), reason="cleaned")


def _unlock(s: Scenarios) -> WriteRequest:
    code = _source_verified(s, s.signed_form())
    lock = s.api("data_manager").ok("POST", "/api/v1/locks",
                                    {"scope": "form", "participant": code, "visit": "day0",
                                     "form": "respiratory"})
    reason = "a late laboratory value arrived"
    return WriteRequest("data_manager", "POST", f"/api/v1/locks/{lock['id']}/unlock",
                        {"reason": reason}, ("unlock",), reason=reason)


def _request_override(s: Scenarios) -> WriteRequest:
    code = s.completed_form()
    reason = "site closed; the missing forms cannot be obtained"
    return WriteRequest("data_manager", "POST", "/api/v1/locks/overrides",
                        {"scope": "participant", "participant": code, "reason": reason,
                         "password": PASSWORD}, ("request_lock_override",), reason=reason)


def _confirm_override(s: Scenarios) -> WriteRequest:
    _, override_id, reason = s.override_requested()
    return WriteRequest("principal_investigator", "POST",
                        f"/api/v1/locks/overrides/{override_id}/confirm", {"password": PASSWORD},
                        ("lock", "confirm_lock_override"), reason=reason)


def _close_override(s: Scenarios) -> WriteRequest:
    _, override_id, _ = s.override_requested()
    reason = "the missing forms must be chased first"
    return WriteRequest("principal_investigator", "POST",
                        f"/api/v1/locks/overrides/{override_id}/close", {"reason": reason},
                        ("declined_lock_override",), reason=reason)


def _import(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    rows = [{"participant": code, "visit": "day0", "form": "respiratory", **RESPIRATORY_OK},
            {"participant": code, "visit": "day0", "form": "vital_signs", **VITALS_OK}]
    return WriteRequest(COORDINATOR, "POST", "/api/v1/form-data/import",
                        {"format": "json", "data": rows, "all_or_nothing": True},
                        ("save_form", "save_form"))


BUILDERS = {
    ("POST", "/api/v1/auth/token"): _token,
    ("POST", "/api/v1/participants"): _screen,
    ("POST", "/api/v1/eligibility"): _eligibility,
    ("PATCH", "/api/v1/participants/{code}/screening"): _correct,
    ("POST", "/api/v1/participants/{code}/consent"): _consent,
    ("POST", "/api/v1/participants/{code}/randomize"): _randomize,
    ("POST", "/api/v1/kits/{kit_code}/dispense"): _dispense,
    ("POST", "/api/v1/participants/{code}/unblind"): _unblind,
    ("POST", "/api/v1/final-unblinding"): _request_final,
    ("POST", "/api/v1/final-unblinding/approve"): _approve_final,
    ("PUT", "/api/v1/participants/{code}/visits/{visit}/forms/{form}"): _save_form,
    ("POST", "/api/v1/participants/{code}/visits/{visit}/forms/{form}/sign"): _sign_form,
    ("POST", "/api/v1/participants/{code}/visits/{visit}/sign"): _sign_visit,
    ("POST", "/api/v1/signatures"): _sign_visits,
    ("POST", "/api/v1/participants/{code}/visits/{visit}/not-done"): _not_done,
    ("POST", "/api/v1/participants/{code}/discontinue"): _discontinue,
    ("POST", "/api/v1/participants/{code}/visits/{visit}/forms/{form}/queries"): _raise_query,
    ("POST", "/api/v1/queries/{query_id}/answer"): _answer_query,
    ("POST", "/api/v1/queries/{query_id}/close"): _close_query,
    ("POST", "/api/v1/queries/{query_id}/reopen"): _reopen_query,
    ("POST", "/api/v1/locks"): _lock,
    ("POST", "/api/v1/locks/{lock_id}/unlock"): _unlock,
    ("POST", "/api/v1/locks/overrides"): _request_override,
    ("POST", "/api/v1/locks/overrides/{override_id}/confirm"): _confirm_override,
    ("POST", "/api/v1/locks/overrides/{override_id}/close"): _close_override,
    ("POST", "/api/v1/form-data/import"): _import,
}


# --- the administrator's and the DSMB's writes, and adverse-event reports (issue 11) ---------

def _create_user(s: Scenarios) -> WriteRequest:
    s.api("admin")  # the token first: issuing it later would change a dump taken before
    return WriteRequest("admin", "POST", "/api/v1/users",
                        {"username": "new-coordinator", "role": "coordinator", "site": "CO-02",
                         "password": "a long enough pass phrase"}, ("create_user",),
                        extra={"changes": {"role": {"old": None, "new": "coordinator"}}})


def _deactivate_user(s: Scenarios) -> WriteRequest:
    s.api("admin")
    reason = "left the study team"
    return WriteRequest("admin", "POST", "/api/v1/users/analyst/deactivate", {"reason": reason},
                        ("deactivate_user",), reason=reason,
                        extra={"changes": {"active": {"old": True, "new": False}}})


def _analyst_active() -> None:
    """Set-up: the analyst's account active (the deactivation's builder, run before in a burst of
    every write, deactivates that account; a REDCap token is refused to an inactive one)."""
    from django.contrib.auth.models import User

    User.objects.filter(username="analyst").update(is_active=True)


def _issue_redcap_token(s: Scenarios) -> WriteRequest:
    s.api("admin")
    _analyst_active()
    return WriteRequest("admin", "POST", "/api/v1/users/analyst/redcap-token", {},
                        ("issue_redcap_token",),
                        extra={"changes": {"redcap_token": {"old": None, "new": "issued"}}})


def _revoke_redcap_token(s: Scenarios) -> WriteRequest:
    from trialdesk.web.redcap.actions import do_issue_redcap_token

    s.api("admin")
    _analyst_active()
    do_issue_redcap_token(actor="test", username="analyst")  # set-up: a token to revoke
    reason = "the analyst's laptop was stolen"
    return WriteRequest("admin", "DELETE", "/api/v1/users/analyst/redcap-token",
                        {"reason": reason}, ("revoke_redcap_token",), reason=reason,
                        extra={"changes": {"redcap_token": {"old": "issued", "new": None}}})


def _sync_sites(s: Scenarios) -> WriteRequest:
    from trialdesk.web.core.models import Membership, Site

    s.api("admin")
    # test set-up: a protocol site not stored yet (as after an amendment added it), made by
    # removing a stored site that has no participant yet; with none, the sync writes nothing
    site = Site.objects.filter(participants__isnull=True).order_by("-code").first()
    if site is None:
        return WriteRequest("admin", "POST", "/api/v1/sites/sync", {}, ())
    from trialdesk.web.administration.models import Delegation

    Delegation.objects.filter(site=site).delete()  # the site's log goes with it (set-up only)
    Membership.objects.filter(site=site).delete()
    name = site.name
    site.delete()
    return WriteRequest("admin", "POST", "/api/v1/sites/sync", {}, ("create_site",),
                        extra={"changes": {"name": {"old": None, "new": name}}})


def _record_recommendation(s: Scenarios) -> WriteRequest:
    return WriteRequest("dsmb_statistician", "POST", "/api/v1/dsmb/recommendations",
                        {"meeting_date": "2026-03-02", "decision": "continue",
                         "rationale": "No safety signal at the first interim look."},
                        ("record_recommendation",),
                        extra={"changes": {"decision": {"old": None, "new": "continue"}}})


def _report_adverse_event(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/adverse-events",
                        {"values": {"ae_term": "Fever", "ae_onset_date": today, "ae_grade": "2",
                                    "ae_serious": "no", "ae_relatedness": "possible"}},
                        ("save_form",),
                        extra={"changes": {"ae_term": {"old": None, "new": "Fever"}}})


BUILDERS.update({
    ("POST", "/api/v1/users"): _create_user,
    ("POST", "/api/v1/users/{username}/deactivate"): _deactivate_user,
    ("POST", "/api/v1/users/{username}/redcap-token"): _issue_redcap_token,  # issue 22
    ("DELETE", "/api/v1/users/{username}/redcap-token"): _revoke_redcap_token,
    ("POST", "/api/v1/sites/sync"): _sync_sites,
    ("POST", "/api/v1/dsmb/recommendations"): _record_recommendation,
    ("POST", "/api/v1/participants/{code}/adverse-events"): _report_adverse_event,
})


# --- adverse events as records and their coding (issue 15) -------------------------------------

SAFETY_EVENTS = "/api/v1/safety/adverse-events"


def _safety_event(s: Scenarios, **values: Any) -> dict[str, Any]:
    code, _ = s.randomized()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    body = {"participant": code, "term": "Pneumonia", "onset_date": today, "grade": 3,
            "hospitalization": True, "relatedness": "unlikely", **values}
    return s.api(INVESTIGATOR).ok("POST", SAFETY_EVENTS, body)


def _report_safety_event(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return WriteRequest(INVESTIGATOR, "POST", SAFETY_EVENTS,
                        {"participant": code, "term": "Pneumonia", "onset_date": today,
                         "grade": 3, "hospitalization": True, "relatedness": "possible",
                         "expectedness": "expected"}, ("report_adverse_event",),
                        extra={"changes": {"term": {"old": None, "new": "Pneumonia"},
                                           "participant": {"old": None, "new": code}}})


def _update_safety_event(s: Scenarios) -> WriteRequest:
    event = _safety_event(s)
    reason = "grade 4 on the ICU chart"
    return WriteRequest(INVESTIGATOR, "PATCH", f"{SAFETY_EVENTS}/{event['id']}",
                        {"grade": 4, "reason": reason}, ("update_adverse_event",),
                        reason=reason, extra={"changes": {"grade": {"old": 3, "new": 4}}})


def _follow_up_safety_event(s: Scenarios) -> WriteRequest:
    event = _safety_event(s)
    text = "Antibiotics started; afebrile"
    return WriteRequest(INVESTIGATOR, "POST", f"{SAFETY_EVENTS}/{event['id']}/follow-ups",
                        {"text": text, "outcome": "recovering", "resolved": False},
                        ("follow_up_adverse_event",), reason=text,
                        extra={"changes": {"outcome": {"old": "unknown", "new": "recovering"}}})


def _code_safety_event(s: Scenarios) -> WriteRequest:
    event = _safety_event(s)
    s.api("data_manager")
    return WriteRequest("data_manager", "POST", f"{SAFETY_EVENTS}/{event['id']}/code",
                        {"llt_code": "10035664", "llt_name": "Pneumonia", "pt_code": "10035664",
                         "pt_name": "Pneumonia", "soc_code": "10021881",
                         "soc_name": "Infections and infestations"}, ("code_adverse_event",),
                        extra={"changes": {"pt_code": {"old": "", "new": "10035664"}}})


BUILDERS.update({
    ("POST", SAFETY_EVENTS): _report_safety_event,
    ("PATCH", "/api/v1/safety/adverse-events/{ae_id}"): _update_safety_event,
    ("POST", "/api/v1/safety/adverse-events/{ae_id}/follow-ups"): _follow_up_safety_event,
    ("POST", "/api/v1/safety/adverse-events/{ae_id}/code"): _code_safety_event,
})


# --- the DSMB: meetings, reports, signed recommendations, the sponsor's response (issue 15) ----

DSMB_MEETINGS = "/api/v1/dsmb/meetings"


def _dsmb_meeting(s: Scenarios) -> int:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return s.api("dsmb_statistician").ok("POST", DSMB_MEETINGS, {
        "date": today, "kind": "scheduled", "cutoff": today})["id"]


def _create_dsmb_meeting(s: Scenarios) -> WriteRequest:
    s.api("dsmb_statistician")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return WriteRequest("dsmb_statistician", "POST", DSMB_MEETINGS,
                        {"date": today, "kind": "ad_hoc", "cutoff": today,
                         "attendees": "Chair; DSMB statistician"}, ("create_dsmb_meeting",),
                        extra={"changes": {"kind": {"old": None, "new": "ad_hoc"}}})


def _generate_dsmb_report(s: Scenarios) -> WriteRequest:
    s.randomized()
    meeting = _dsmb_meeting(s)
    return WriteRequest("dsmb_statistician", "POST", f"{DSMB_MEETINGS}/{meeting}/reports",
                        {"kind": "closed"}, ("generate_dsmb_report",),
                        extra={"changes": {"kind": {"old": None, "new": "closed"}}})


def _sign_dsmb_recommendation(s: Scenarios) -> WriteRequest:
    from trial_factory import PASSWORD

    meeting = _dsmb_meeting(s)
    return WriteRequest("dsmb_statistician", "POST", f"{DSMB_MEETINGS}/{meeting}/recommendation",
                        {"decision": "continue", "password": PASSWORD,
                         "rationale": "No safety signal at this data cut-off."},
                        ("sign_dsmb_recommendation",),
                        extra={"changes": {"decision": {"old": None, "new": "continue"}}})


def _respond_dsmb_recommendation(s: Scenarios) -> WriteRequest:
    from trial_factory import PASSWORD

    meeting = _dsmb_meeting(s)
    signed = s.api("dsmb_statistician").ok("POST", f"{DSMB_MEETINGS}/{meeting}/recommendation", {
        "decision": "pause_enrollment", "password": PASSWORD,
        "rationale": "Pause while two events are reviewed."})
    s.api("safety_contact")
    return WriteRequest("safety_contact", "POST",
                        f"/api/v1/dsmb/recommendations/{signed['id']}/response",
                        {"response": "accepted", "text": "Enrollment paused at every site."},
                        ("respond_dsmb_recommendation",),
                        extra={"changes": {"response": {"old": None, "new": "accepted"}}})


BUILDERS.update({
    ("POST", DSMB_MEETINGS): _create_dsmb_meeting,
    ("POST", "/api/v1/dsmb/meetings/{meeting_id}/reports"): _generate_dsmb_report,
    ("POST", "/api/v1/dsmb/meetings/{meeting_id}/recommendation"): _sign_dsmb_recommendation,
    ("POST", "/api/v1/dsmb/recommendations/{recommendation_id}/response"):
        _respond_dsmb_recommendation,
})


# --- monitoring: visits, findings, action items, source data verification (issue 16) ------------

MONITORING_VISITS = "/api/v1/monitoring/visits"


def _monitoring_visit(s: Scenarios) -> int:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return s.api("monitor").ok("POST", MONITORING_VISITS, {
        "site": "CO-01", "kind": "on_site", "planned_date": today})["id"]


def _plan_monitoring_visit(s: Scenarios) -> WriteRequest:
    today = dt.datetime.now(dt.UTC).date().isoformat()
    return WriteRequest("monitor", "POST", MONITORING_VISITS,
                        {"site": "CO-02", "kind": "remote", "planned_date": today},
                        ("plan_monitoring_visit",),
                        extra={"changes": {"site": {"old": None, "new": "CO-02"}}})


def _update_monitoring_visit(s: Scenarios) -> WriteRequest:
    visit = _monitoring_visit(s)
    return WriteRequest("monitor", "PATCH", f"{MONITORING_VISITS}/{visit}",
                        {"status": "done", "summary": "Consent files and ICU charts reviewed."},
                        ("update_monitoring_visit",),
                        extra={"changes": {"status": {"old": "planned", "new": "done"}}})


def _add_monitoring_finding(s: Scenarios) -> WriteRequest:
    visit = _monitoring_visit(s)
    return WriteRequest("monitor", "POST", f"{MONITORING_VISITS}/{visit}/findings",
                        {"category": "consent", "severity": "major",
                         "text": "A consent form lacks the witness's signature."},
                        ("add_monitoring_finding",),
                        extra={"changes": {"severity": {"old": None, "new": "major"}}})


def _add_monitoring_action_item(s: Scenarios) -> WriteRequest:
    visit = _monitoring_visit(s)
    due = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)).isoformat()
    return WriteRequest("monitor", "POST", f"{MONITORING_VISITS}/{visit}/action-items",
                        {"text": "Obtain the witness signature.", "owner": "Site PI",
                         "due_date": due}, ("add_monitoring_action_item",),
                        extra={"changes": {"owner": {"old": None, "new": "Site PI"}}})


def _update_monitoring_action_item(s: Scenarios) -> WriteRequest:
    visit = _monitoring_visit(s)
    due = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)).isoformat()
    item = s.api("monitor").ok("POST", f"{MONITORING_VISITS}/{visit}/action-items", {
        "text": "Obtain the witness signature.", "owner": "Site PI", "due_date": due})
    return WriteRequest("monitor", "PATCH", f"/api/v1/monitoring/action-items/{item['id']}",
                        {"status": "done", "note": "Signed on re-consent."},
                        ("update_monitoring_action_item",),
                        extra={"changes": {"status": {"old": "open", "new": "done"}}})


def _verify_source_data(s: Scenarios) -> WriteRequest:
    code = s.consented()
    visit = _monitoring_visit(s)
    return WriteRequest("monitor", "POST",
                        f"/api/v1/monitoring/records/consent/{code}/verification",
                        {"visit": visit, "status": "needs_correction", "fields": ["consent_date"],
                         "comment": "The signed form is dated a day later."},
                        ("verify_source_data",), reason="The signed form is dated a day later.",
                        extra={"changes": {"consent_date": {"old": "not_verified",
                                                            "new": "needs_correction"}}})


BUILDERS.update({
    ("POST", MONITORING_VISITS): _plan_monitoring_visit,
    ("PATCH", "/api/v1/monitoring/visits/{visit_id}"): _update_monitoring_visit,
    ("POST", "/api/v1/monitoring/visits/{visit_id}/findings"): _add_monitoring_finding,
    ("POST", "/api/v1/monitoring/visits/{visit_id}/action-items"): _add_monitoring_action_item,
    ("PATCH", "/api/v1/monitoring/action-items/{item_id}"): _update_monitoring_action_item,
    ("POST", "/api/v1/monitoring/records/{source}/{ref}/verification"): _verify_source_data,
})


# --- the protocol deviation log (issue 16) ------------------------------------------------------

DEVIATIONS = "/api/v1/deviations"


def _deviation(s: Scenarios, **values: Any) -> dict[str, Any]:
    code, _ = s.randomized()
    body = {"participant": code, "category": "visit_window", "severity": "minor",
            "description": "Day 7 visit done on day 10", "occurred_on": _days_ago(2),
            "discovery_method": "site_self_report", **values}
    return s.api(COORDINATOR).ok("POST", DEVIATIONS, body)


def _days_ago(days: int) -> str:
    # the deviation log judges dates in the site's calendar (Bogota is a day behind UTC before
    # 05:00 UTC); the coordinator is at CO-01
    return (site_today("CO-01") - dt.timedelta(days=days)).isoformat()


def _capa_done() -> dict[str, Any]:
    return {"corrective_action": "Visit window explained to the site staff",
            "preventive_action": "Visit reminders in the ward calendar",
            "capa_completed_on": _days_ago(0)}


def _report_deviation(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    return WriteRequest(COORDINATOR, "POST", DEVIATIONS,
                        {"participant": code, "category": "study_treatment",
                         "severity": "major", "description": "Infusion started 3 h late",
                         "occurred_on": _days_ago(1), "discovery_method": "site_self_report",
                         "unblinding_details": "Two kits were swapped at the pharmacy"},
                        ("report_deviation",),
                        extra={"changes": {"category": {"old": None, "new": "study_treatment"},
                                           "participant": {"old": None, "new": code}}})


def _update_deviation(s: Scenarios) -> WriteRequest:
    deviation = _deviation(s)
    reason = "CAPA agreed with the monitor"
    return WriteRequest(COORDINATOR, "PATCH", f"{DEVIATIONS}/{deviation['id']}",
                        {"corrective_action": "Staff retrained on the visit windows",
                         "reason": reason}, ("update_deviation",), reason=reason,
                        extra={"changes": {"status": {"old": "open",
                                                      "new": "capa_in_progress"}}})


def _close_deviation(s: Scenarios) -> WriteRequest:
    deviation = _deviation(s, **_capa_done())
    reason = "CAPA verified at the visit"
    return WriteRequest("monitor", "POST", f"{DEVIATIONS}/{deviation['id']}/close",
                        {"reason": reason}, ("close_deviation",), reason=reason,
                        extra={"changes": {"status": {"old": "capa_in_progress",
                                                      "new": "closed"}}})


def _reopen_deviation(s: Scenarios) -> WriteRequest:
    deviation = _deviation(s, **_capa_done())
    s.api("monitor").ok("POST", f"{DEVIATIONS}/{deviation['id']}/close",
                        {"reason": "CAPA verified at the visit"})
    reason = "The reminders were not set up"
    return WriteRequest("monitor", "POST", f"{DEVIATIONS}/{deviation['id']}/reopen",
                        {"reason": reason}, ("reopen_deviation",), reason=reason,
                        extra={"changes": {"status": {"old": "closed",
                                                      "new": "capa_in_progress"}}})


BUILDERS.update({
    ("POST", DEVIATIONS): _report_deviation,
    ("PATCH", "/api/v1/deviations/{deviation_id}"): _update_deviation,
    ("POST", "/api/v1/deviations/{deviation_id}/close"): _close_deviation,
    ("POST", "/api/v1/deviations/{deviation_id}/reopen"): _reopen_deviation,
})


# --- consent's later events (issue 17) --------------------------------------------------------

def _lar_consented(s: Scenarios) -> str:
    code = s.screened()
    s.api(INVESTIGATOR).ok("POST", f"/api/v1/participants/{code}/consent", {
        **CONSENT, "signer": "lar", "lar_name": "Ana Gómez", "lar_relationship": "spouse"})
    return code


def _capacity_regained(s: Scenarios) -> WriteRequest:
    code = _lar_consented(s)
    return WriteRequest(INVESTIGATOR, "POST",
                        f"/api/v1/participants/{code}/consent/capacity-regained",
                        {"date": CONSENT["consent_date"]}, ("consent_capacity_regained",))


def _capacity_task(s: Scenarios) -> str:
    code = _lar_consented(s)
    s.api(INVESTIGATOR).ok("POST", f"/api/v1/participants/{code}/consent/capacity-regained",
                           {"date": CONSENT["consent_date"]})
    return code


def _confirmation(s: Scenarios) -> WriteRequest:
    code = _capacity_task(s)
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/consent/confirmation",
                        {"date": CONSENT["consent_date"], "note": "awake, agrees to go on"},
                        ("consent_confirmed",))


def _refusal(s: Scenarios) -> WriteRequest:
    code = _capacity_task(s)
    reason = "does not wish to continue"
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/consent/refusal",
                        {"date": CONSENT["consent_date"], "note": reason},
                        ("consent_refused",), reason=reason,
                        extra={"changes": {"data_rule": {"old": None,
                                                         "new": "keep_until_refusal"}}})


def _withdrawal(s: Scenarios) -> WriteRequest:
    code, _ = s.randomized()
    reason = "the family asks it"
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/consent/withdrawal",
                        {"date": CONSENT["consent_date"], "level": "follow_up",
                         "data_use": True, "reason": reason}, ("consent_withdrawn",),
                        reason=reason,
                        extra={"changes": {"level": {"old": None, "new": "follow_up"}}})


def _reconsent(s: Scenarios) -> WriteRequest:
    code = s.consented()
    return WriteRequest(INVESTIGATOR, "POST", f"/api/v1/participants/{code}/consent/reconsent",
                        {"date": CONSENT["consent_date"], "form_version": "1.0",
                         "language": "en"}, ("consent_reconsented",))


BUILDERS.update({
    ("POST", "/api/v1/participants/{code}/consent/capacity-regained"): _capacity_regained,
    ("POST", "/api/v1/participants/{code}/consent/confirmation"): _confirmation,
    ("POST", "/api/v1/participants/{code}/consent/refusal"): _refusal,
    ("POST", "/api/v1/participants/{code}/consent/withdrawal"): _withdrawal,
    ("POST", "/api/v1/participants/{code}/consent/reconsent"): _reconsent,
})


def _start_export(s: Scenarios) -> WriteRequest:
    return WriteRequest("data_manager", "POST", "/api/v1/exports", {"format": "adam"},
                        ("start_export",),
                        extra={"changes": {"allocation": {"old": None, "new": "dummy"}}})


BUILDERS[("POST", "/api/v1/exports")] = _start_export  # data exports (issue 21)


# protocol amendments (issue 17), built in their own module
from integrity_amendments import AMENDMENT_BUILDERS  # noqa: E402

BUILDERS.update(AMENDMENT_BUILDERS)

# the supply chain's operations (issue 18), built in their own module
from integrity_supply import SUPPLY_BUILDERS  # noqa: E402

BUILDERS.update(SUPPLY_BUILDERS)


def _set_site_status(s: Scenarios) -> WriteRequest:
    from trialdesk.web.core.models import Site

    admin = s.api("admin")  # the admin's API token exists before the test's "before" dump
    site = Site.objects.order_by("code").first()
    if site.status == Site.ACTIVE:
        # test set-up: closed, so that the request reopens it; the site stays active for the
        # builders after this one (only an active site screens, consents and randomizes)
        admin.ok("POST", f"/api/v1/sites/{site.code}/status",
                 {"status": "closed", "reason": "Set-up: closed to be reopened."})
        site.refresh_from_db()
    reason = "Site initiation visit done and ethics approval on file."
    return WriteRequest("admin", "POST", f"/api/v1/sites/{site.code}/status",
                        {"status": "active", "reason": reason}, ("set_site_status",),
                        reason=reason,
                        extra={"changes": {"status": {"old": site.status, "new": "active"}}})


BUILDERS[("POST", "/api/v1/sites/{code}/status")] = _set_site_status  # site status (issue 24)
