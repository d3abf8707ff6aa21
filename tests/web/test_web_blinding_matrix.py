"""Acceptance: no blinded role can reach an arm through any page or API operation."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from api_client import ApiClient
from blinding_matrix import build_viewers, run_matrix
from blinding_secrets import block_sizes, emergency_unblinding, pharmacy_times
from days import days_later
from django.http import HttpRequest, JsonResponse
from django.urls import path
from enrollment import enroll
from lock_override import lock_database
from ninja import NinjaAPI
from trial_factory import create_user

from trialdesk.web.trials.models import AllocationSlot
from trialdesk.web.urls import urlpatterns as real_urlpatterns


@pytest.fixture
def allocated(trial):
    """Two randomized participants per site, so every route has real records to show."""
    samples = {"code": [], "kit_code": []}
    by_site = {}
    for site in ("co-01", "co-02"):
        investigator = trial.api(f"investigator-{site}")
        for _ in range(2):
            code = enroll(investigator)
            kit = investigator.post(f"/api/v1/participants/{code}/randomize", {}).json()["kit_code"]
            samples["code"].append(code)
            samples["kit_code"].append(kit)
            by_site.setdefault(site, []).extend([code, kit])
    other_site = {f"pharmacist-{s}": [x for t, v in by_site.items() if t != s for x in v]
                  for s in ("co-01", "co-02", "co-03")}
    other_site["all"] = samples["kit_code"] + samples["code"]
    return trial, samples, other_site


REASON = "Severe anaphylaxis after the infusion so the physician must know the arm"


def test_every_role_on_every_route_sees_no_arm_or_secret_it_may_not_before_and_after_unblinding(
        allocated):
    """Every role (site roles at the two sites with participants) on every page and API
    operation, over a trial holding every kind of record a blinded reader could learn from:
    dispensed kits, an emergency unblinding, the DSMB's meeting with an open and a closed report,
    a signed recommendation and a tripped stopping rule. Besides the arms, the secrets of issue 14
    reach only who may see them: which participant was emergency-unblinded (the requester, the
    DSMB, the safety contact, the auditor), the pharmacy's times in the audit trail (the day at
    most, for blinded readers), the block sizes (no blinded role, not the public). Then the final
    unblinding opens the arms to the analyst alone.

    One trial for all of it: each pass over the matrix is thousands of requests, so the records
    are made once and the matrix run once per state (blinded, unblinded) rather than per kind
    of record."""
    from trialdesk.web.dsmb.models import Report, SafetySignal

    trial, samples, other_site = allocated
    for code, kit in zip(samples["code"], samples["kit_code"], strict=True):
        site = "co-01" if code in other_site["pharmacist-co-02"] else "co-02"
        assert trial.api(f"pharmacist-{site}").post(f"/api/v1/kits/{kit}/dispense",
                                                    {"lot": "LOT-2026-01"}).status_code == 201
    target = samples["code"][0]
    # the requester sees the arm too: kept out of the arm matrix, checked on its own below
    requester = create_user("investigator2-co-01", "investigator", "CO-01")
    assert ApiClient(requester).post(f"/api/v1/participants/{target}/unblind",
                                     {"reason": REASON}).status_code == 201
    samples = {**samples, **_dsmb_records(trial, samples)}
    assert SafetySignal.objects.exists() and Report.objects.filter(kind="closed").exists()
    users = {k: v for k, v in trial.users.items() if not k.endswith("co-03")}
    pharmacists = [name for name, user in users.items()
                   if user.memberships.get().role == "pharmacist"]
    secrets = [emergency_unblinding(target, REASON, requester.username),
               pharmacy_times(pharmacists), block_sizes()]
    with days_later():  # a day's pharmacy records reach blinded readers once the day is over
        assert run_matrix(build_viewers(users), samples, other_site, secrets=secrets) == []
        # the rules have teeth: the requester and the auditor do see the unblinding, where it
        # is shown; the DSMB's closed report, judged as if blinded, is a finding
        judged_as_if_barred = replace(emergency_unblinding(target, REASON, "nobody"),
                                      may_see=lambda who, role: False)
        shown = run_matrix(build_viewers({"requester": requester, "admin": users["admin"]}),
                           samples, other_site, secrets=[judged_as_if_barred])
    told = {f.who for f in shown if any(w.startswith("emergency unblinding") for w in f.what)}
    assert told == {"requester", "admin"}
    client, _ = build_viewers({"dsmb": users["dsmb_statistician"]})["dsmb"]
    shown_to_dsmb = {f.path for f in run_matrix({"dsmb": (client, None)}, samples, other_site)}
    closed = Report.objects.get(kind="closed").pk
    assert {f"/api/v1/dsmb/reports/{closed}", f"/dsmb/reports/{closed}/"} <= shown_to_dsmb

    _unblind_the_trial(trial)
    assert run_matrix(build_viewers(users), samples, other_site, trial_unblinded=True) == []
    # the analyst may now see arms, and does: judged as blinded, the analyst's pages are findings
    client, _ = build_viewers({"analyst": users["analyst"]})["analyst"]
    opened = {f.path for f in run_matrix({"analyst": (client, None)}, samples, other_site)}
    assert {"/api/v1/analysis/groups", "/api/v1/analysis/group-mapping"} <= opened


def _unblind_the_trial(trial) -> None:
    """Database lock, then the final unblinding: requested by the data manager, DSMB approves."""
    reason = {"reason": "Database locked; final analysis per the SAP"}
    assert lock_database(trial.users).status_code == 201
    assert trial.api("data_manager").post("/api/v1/final-unblinding", reason).status_code == 201
    assert trial.api("dsmb_statistician").post("/api/v1/final-unblinding/approve",
                                               reason).status_code == 200


def test_matrix_detects_arms_on_the_real_pages_that_show_them(allocated):
    """Guard against a matrix that passes because nothing answers: judged as if blinded, the
    pharmacist's own pharmacy page and kit endpoints are findings."""
    trial, samples, other_site = allocated
    client, _ = build_viewers({"pharmacist-co-01": trial.users["pharmacist-co-01"]})[
        "pharmacist-co-01"]
    findings = run_matrix({"pharmacist-co-01": (client, None)}, samples, other_site)
    paths = {f.path for f in findings}
    assert "/pharmacy/" in paths
    assert f"/api/v1/kits/{samples['kit_code'][0]}" in paths


# --- test doubles: one page and one API operation that leak the kit-to-arm mapping -------------

def _leaky_kit_page(request: HttpRequest, kit_code: str) -> JsonResponse:
    slot = AllocationSlot.objects.get(kit_code=kit_code)
    return JsonResponse({"kit_code": slot.kit_code, "arm": slot.arm})


leaky_api = NinjaAPI(urls_namespace="leaky_api", auth=None)


@leaky_api.get("/kit-labels/{kit_code}")
def leaky_kit_labels(request: HttpRequest, kit_code: str) -> dict[str, str]:
    from trialdesk.web.core.protocol import get_protocol

    slot = AllocationSlot.objects.get(kit_code=kit_code)
    return {"kit": slot.kit_code, "label": get_protocol().design.arm(slot.arm).label.text("en")}


urlpatterns = [
    *real_urlpatterns,
    path("debug/kits/<str:kit_code>/", _leaky_kit_page),
    path("api/leaky/", leaky_api.urls),
]


@pytest.mark.urls(__name__)
def test_matrix_fails_when_an_endpoint_leaks(allocated):
    trial, samples, other_site = allocated
    viewers = build_viewers({k: v for k, v in trial.users.items()
                             if k in ("investigator-co-01", "analyst")})
    findings = run_matrix(viewers, samples, other_site)
    leaked = {(f.who, f.path.split("/")[1] + "/" + f.path.split("/")[2]) for f in findings}
    assert ("investigator-co-01", "debug/kits") in leaked
    assert ("analyst", "api/leaky") in leaked
    assert all(f.path.startswith(("/debug/", "/api/leaky/")) for f in findings), findings


# --- issue 15: the DSMB's meetings, reports, recommendations and stopping rule -------------------

def _dsmb_records(trial, samples) -> dict[str, list[str]]:
    """A meeting with an open and a closed report, a signed recommendation with the sponsor's
    response, and a tripped stopping rule (an infusion and a grade 4 event in the watched arm)."""
    import datetime as dt

    from django.utils import timezone
    from trial_factory import PASSWORD

    from trialdesk.web.capture.models import FormInstance
    from trialdesk.web.safety.models import AdverseEvent
    from trialdesk.web.trials.models import Participant, Randomization

    watched = Randomization.objects.filter(participant__code__in=samples["code"],
                                           slot__arm="msc").first().participant
    user, now = trial.users["investigator-co-01"], timezone.now()
    FormInstance.objects.create(participant=watched, site=watched.site, visit="day1",
                                form="infusion", values={"infusion_start": "2026-01-01T10:00"},
                                created_at=now, created_by=user, updated_at=now, updated_by=user)
    for code in samples["code"]:
        participant = Participant.objects.get(code=code)
        AdverseEvent.objects.create(
            participant=participant, site=participant.site, term="Hypotension", grade=4,
            onset_date=now.date(), life_threatening=True, relatedness="possible",
            investigator_aware_at=now, created_at=now, created_by=user, updated_at=now,
            updated_by=user)
    dsmb = trial.api("dsmb_statistician")
    today = timezone.now().date()
    meeting = dsmb.ok("POST", "/api/v1/dsmb/meetings", {
        "date": today.isoformat(), "kind": "ad_hoc",
        "cutoff": (today + dt.timedelta(days=0)).isoformat()})
    reports = [dsmb.ok("POST", f"/api/v1/dsmb/meetings/{meeting['id']}/reports",
                       {"kind": kind})["id"] for kind in ("open", "closed")]
    signed = dsmb.ok("POST", f"/api/v1/dsmb/meetings/{meeting['id']}/recommendation", {
        "decision": "continue", "rationale": "No safety concern in either arm at this cut.",
        "password": PASSWORD})
    trial.api("safety_contact").ok("POST", f"/api/v1/dsmb/recommendations/{signed['id']}/response",
                                   {"response": "accepted", "text": "Noted; the trial goes on."})
    return {"meeting_id": [str(meeting["id"])], "report_id": [str(r) for r in reports],
            "recommendation_id": [str(signed["id"])]}


def _without(body: bytes, *numbers: int) -> bytes:
    """``body`` without the report numbers asked for and without the layout's CSRF tokens (masked
    afresh on every page). Both numbers come out of both bodies, the longer first: an error page
    in the site's layout holds digits of its own (its style sheet) that the shorter may match."""
    body = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", body)
    for number in sorted(numbers, key=lambda n: -len(str(n))):
        body = body.replace(str(number).encode(), b"#")
    return body


def test_a_closed_reports_metadata_is_the_same_as_no_report_for_blinded_roles(allocated):
    """Blinded roles cannot list a closed report, and asking for one (its HTML, its PDF, its
    page) answers exactly as for a report that does not exist: same status, same body, same size
    once the number asked for is taken out."""
    from trialdesk.web.dsmb.models import Report

    trial, samples, _other_site = allocated
    _dsmb_records(trial, samples)
    closed = Report.objects.get(kind="closed").pk
    missing = Report.objects.order_by("-pk").first().pk + 1000
    policy_blinded = [name for name, user in trial.users.items()
                      if not name.endswith("co-03") and user.memberships.get().role not in
                      ("dsmb_statistician", "pharmacist")]
    for name in policy_blinded:
        client = build_viewers({name: trial.users[name]})[name][0]
        for template in ("/api/v1/dsmb/reports/{}", "/api/v1/dsmb/reports/{}/pdf",
                         "/dsmb/reports/{}/", "/dsmb/reports/{}/pdf/"):
            real = client.get(template.format(closed))
            none = client.get(template.format(missing))
            assert real.status_code == none.status_code in (403, 404), (name, template)
            assert _without(real.content, missing, closed) == _without(
                none.content, missing, closed), (name, template)
        listed = client.get("/api/v1/dsmb/meetings")
        if listed.status_code == 200:
            kinds = {r["kind"] for m in listed.json() for r in m["reports"]}
            assert kinds <= {"open"}, name
