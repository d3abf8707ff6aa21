"""Blinding: a study treatment deviation's account of the arm ("the other arm's kit was given")
is kept for the roles that see arms. As an attacker with each blinded role: not on a page, not in
an API answer, not in the CSV, not in the audit trail, not in the deviation's history, not by
its length, not as a prefilled form value; the reporter cannot read it back either. The blinding
matrix judges every route with such deviations in the database."""

from __future__ import annotations

from api_client import ApiClient
from blinding_matrix import build_viewers, run_matrix
from deviation_kit import ARM_WORDS, LOG, body
from enrollment import randomize
from login import signed_in_client
from trial_factory import create_user

from trialdesk.web.core.models import AuditRecord

DETAILS = f"Kit of the {ARM_WORDS} arm given to this participant; pharmacy swapped two bags"
BLINDED = ("investigator-co-01", "coordinator-co-01", "monitor", "data_manager", "analyst",
           "admin", "safety_contact")


def _treatment_deviation(trial, code: str, reporter: str = "coordinator-co-01") -> dict:
    return trial.api(reporter).ok("POST", LOG, body(
        code, category="study_treatment", severity="major",
        description="Wrong infusion bag given on day 1", unblinding_details=DETAILS))


def _bodies(client, paths) -> dict[str, str]:
    return {path: client.get(path).content.decode() for path in paths}


def test_no_blinded_role_reads_the_unblinding_details_anywhere(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    created = _treatment_deviation(trial, code)
    assert "unblinding_details" not in created  # not even the reporter, at once
    assert created["has_unblinding_details"] is True
    key, ident = created["key"], created["id"]
    pages = ["/deviations/", f"/deviations/{ident}/", f"/deviations/{ident}/edit/",
             "/deviations/export.csv", "/audit/"]
    api = [LOG, f"{LOG}/{ident}", f"{LOG}.csv", "/api/v1/audit"]
    for name in BLINDED:
        user = trial.users[name]
        seen = _bodies(signed_in_client(user), pages)
        client = ApiClient(user)
        answers = {path: client.get(path).content.decode() for path in api}
        for path, text in {**seen, **answers}.items():
            assert ARM_WORDS not in text and "pharmacy swapped" not in text, (name, path)
        for path, text in answers.items():  # the log's answers (the trail names the note)
            assert path == "/api/v1/audit" or '"unblinding_details":' not in text, (name, path)
    # the trail binds the text without holding it
    for record in AuditRecord.objects.filter(object_id=key):
        assert "pharmacy swapped" not in str(record.changes) + record.reason
    change = AuditRecord.objects.get(object_id=key, action="report_deviation").changes
    assert change["unblinding_details"]["new"].startswith("note 1 sha256:")


def test_the_roles_that_see_the_arm_read_them_page_api_and_csv(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    created = _treatment_deviation(trial, code)
    dsmb = trial.users["dsmb_statistician"]
    assert trial.api("dsmb_statistician").ok("GET", f"{LOG}/{created['id']}")[
        "unblinding_details"] == DETAILS
    assert "pharmacy swapped" in signed_in_client(dsmb).get(
        f"/deviations/{created['id']}/").content.decode()
    assert "pharmacy swapped" in ApiClient(dsmb).get(f"{LOG}.csv").content.decode()
    # an investigator who emergency-unblinded this participant knows the arm already
    requester = create_user("investigator2-co-01", "investigator", "CO-01")
    ApiClient(requester).ok("POST", f"/api/v1/participants/{code}/unblind",
                            {"reason": "Anaphylaxis: the treating physician must know"})
    assert ApiClient(requester).ok("GET", f"{LOG}/{created['id']}")[
        "unblinding_details"] == DETAILS
    assert "unblinding_details" not in trial.api("investigator-co-01").ok(
        "GET", f"{LOG}/{created['id']}")


def test_a_blinded_role_replaces_the_details_without_reading_them(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    created = _treatment_deviation(trial, code)
    path = f"{LOG}/{created['id']}"
    coordinator = trial.api("coordinator-co-01")
    changed = coordinator.ok("PATCH", path, {"unblinding_details": "Both bags of one arm",
                                             "reason": "Pharmacy corrected its account"})
    assert "unblinding_details" not in changed and changed["version"] == 2
    assert trial.api("dsmb_statistician").ok("GET", path)["unblinding_details"] == (
        "Both bags of one arm")
    # a category that cannot unblind takes no details, and keeps none
    refused = coordinator.send("PATCH", path, {"category": "visit_window",
                                               "reason": "Recategorised at review"})
    assert refused.status_code == 422 and "unblinding_details" in refused.content.decode()


def test_the_description_and_the_reason_may_not_name_an_arm(trial):
    code, _ = randomize(trial.api("investigator-co-01"))
    coordinator = trial.api("coordinator-co-01")
    refused = coordinator.post(LOG, body(code, category="study_treatment",
                                         description=f"gave {ARM_WORDS.lower()} by mistake"))
    assert refused.status_code == 422 and "description" in refused.content.decode()
    created = _treatment_deviation(trial, code)
    refused = coordinator.send("PATCH", f"{LOG}/{created['id']}", {
        "severity": "minor", "reason": f"Only the {ARM_WORDS} bag"})
    assert refused.status_code == 422 and "reason" in refused.content.decode()


def test_the_blinding_matrix_over_deviations_with_unblinding_details(trial):
    samples: dict[str, list[str]] = {"code": [], "kit_code": [], "deviation_id": []}
    by_site: dict[str, list[str]] = {}
    for site in ("co-01", "co-02"):
        code, kit = randomize(trial.api(f"investigator-{site}"))
        samples["code"].append(code)
        samples["kit_code"].append(kit)
        by_site.setdefault(site, []).extend([code, kit])
        created = _treatment_deviation(trial, code, reporter=f"coordinator-{site}")
        site_level = trial.api("monitor").ok("POST", LOG, body(
            None, site=site.upper(), category="allocation", severity="minor",
            description="Kit stock list left on the ward", unblinding_details=DETAILS))
        samples["deviation_id"] += [str(created["id"]), str(site_level["id"])]
    other_site = {f"pharmacist-{s}": [x for t, v in by_site.items() if t != s for x in v]
                  for s in ("co-01", "co-02", "co-03")}
    other_site["all"] = samples["kit_code"] + samples["code"]
    users = {k: v for k, v in trial.users.items() if not k.endswith("co-03")}
    # the other routes are judged by tests/web/test_web_blinding_matrix.py; here the log's and
    # the audit trail's (which records every change of a deviation)
    findings = run_matrix(build_viewers(users), samples, other_site, paths=_deviation_or_audit)
    assert findings == []
    # teeth: the DSMB statistician reads the details, so judged as blinded these are findings
    client, _ = build_viewers({"dsmb": users["dsmb_statistician"]})["dsmb"]
    shown = {f.path for f in run_matrix({"dsmb": (client, None)}, samples, other_site)}
    one = samples["deviation_id"][0]
    assert {f"/api/v1/deviations/{one}", f"/deviations/{one}/", "/api/v1/deviations",
            "/deviations/export.csv"} <= shown


def _deviation_or_audit(path: str) -> bool:
    return "deviation" in path or "audit" in path


def test_a_blinded_writer_cannot_test_a_guess_against_the_details(trial):
    """Writing the recorded text again and writing another must look the same to a blinded
    writer: a new version and an audit record both times, the same answer otherwise."""
    code, _ = randomize(trial.api("investigator-co-01"))
    created = _treatment_deviation(trial, code)
    path = f"{LOG}/{created['id']}"
    coordinator = trial.api("coordinator-co-01")
    answers = []
    for guess in (DETAILS, f"Kit of the {ARM_WORDS.replace('MSC', 'placebo')} arm given"):
        before = AuditRecord.objects.filter(object_id=created["key"]).count()
        answer = coordinator.ok("PATCH", path, {"unblinding_details": guess,
                                                "reason": "Checking what was recorded"})
        after = AuditRecord.objects.filter(object_id=created["key"]).count()
        answers.append((after - before, sorted(answer), answer["has_unblinding_details"]))
    assert answers[0] == answers[1] == (1, answers[0][1], True)
    assert coordinator.ok("GET", path)["version"] == 3
