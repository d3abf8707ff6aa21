"""Side channels: what a blinded role receives for a participant must not depend on the arm.

Attack: compare two participants' answers (status code, size, field set, HTML, error text) and
sort them by the difference. With identifiers and times blanked out, the answers for a
participant of either arm must be the same text. Kit look-ups by a role that may not see the kit
must answer exactly like a kit that does not exist, whatever the kit's arm.
"""

from __future__ import annotations

import re

from login import signed_in_client
from security_helpers import randomize_both_arms

BLINDED = ("investigator-co-01", "coordinator-co-01", "data_manager", "analyst", "monitor")
_VOLATILE = [
    re.compile(r"\d{4}-\d\d-\d\dT[\d:.]+(?:\+00:00|Z)?"),       # ISO times
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"'),     # per-request token
    re.compile(r"R\d{5}"),                                        # randomization number
]


def _blank(text: str, row: dict[str, str]) -> str:
    text = text.replace(row["code"], "<code>").replace(row["kit"], "<kit>")
    for pattern in _VOLATILE:
        text = pattern.sub("<v>", text)
    return text


def _pair(rows):
    first = rows[0]
    return first, next(r for r in rows if r["arm"] != first["arm"])


def test_blinded_answers_about_a_participant_do_not_depend_on_the_arm(trial):
    one, other = _pair(randomize_both_arms(trial))
    for username in BLINDED:
        api = trial.api(username)
        client = signed_in_client(trial.users[username])
        for path in ("/api/v1/participants/{code}", "/api/v1/participants/{code}/schedule",
                     "/api/v1/participants/{code}/visits/day1/forms",
                     "/participants/{code}/", "/capture/participants/{code}/",
                     "/capture/participants/{code}/day1/infusion/"):
            answers = []
            for row in (one, other):
                getter = api.get if path.startswith("/api/") else client.get
                response = getter(path.format(code=row["code"]))
                answers.append((response.status_code, _blank(response.content.decode(), row)))
            assert answers[0][0] == 200, (username, path, answers[0][0])
            assert answers[0] == answers[1], (username, path)


def test_list_entries_have_the_same_fields_for_both_arms(trial):
    rows = randomize_both_arms(trial)
    arm_of = {row["code"]: row["arm"] for row in rows}
    for username in BLINDED:
        listed = trial.api(username).get("/api/v1/participants").json()
        shapes = {arm_of[p["code"]]: tuple(sorted(p)) for p in listed if p["code"] in arm_of}
        assert len(set(shapes.values())) == 1, (username, shapes)


def test_kit_lookups_answer_alike_for_either_arm_and_for_no_kit(trial):
    rows = randomize_both_arms(trial)
    one, other = _pair(rows)
    made_up = "ZZZZ-ZZZZ"
    for username in (*BLINDED, "admin", "dsmb_statistician", "pharmacist-co-02"):
        api = trial.api(username)
        for method, suffix, body in (("get", "", None), ("post", "/dispense", {"lot": "L-1"})):
            answers = set()
            for kit in (one["kit"], other["kit"], made_up):
                path = f"/api/v1/kits/{kit}{suffix}"
                response = api.get(path) if method == "get" else api.post(path, body)
                answers.add((response.status_code, response.content.replace(kit.encode(), b"")))
            assert len(answers) == 1, (username, method, answers)
            assert next(iter(answers))[0] in (403, 404), (username, method)


def test_the_pharmacist_reads_no_participant_or_outcome_data(trial):
    rows = randomize_both_arms(trial)
    code = rows[0]["code"]
    pharmacist = trial.api("pharmacist-co-01")
    for path in (f"/api/v1/participants/{code}", f"/api/v1/participants/{code}/schedule",
                 f"/api/v1/participants/{code}/visits/day7/forms",
                 f"/api/v1/participants/{code}/visits/day28/forms/end_of_study"):
        assert pharmacist.get(path).status_code == 404, path
    for form in ("end_of_study", "respiratory", "cytokines", "adverse_event"):
        assert pharmacist.get(f"/api/v1/form-data?form={form}").status_code == 403, form
    assert pharmacist.get("/api/v1/participants").status_code == 403
    assert pharmacist.get("/api/v1/completeness").status_code == 403
    assert pharmacist.get("/api/v1/queries").json() == []
    client = signed_in_client(trial.users["pharmacist-co-01"])
    for path in (f"/participants/{code}/", f"/capture/participants/{code}/",
                 f"/capture/participants/{code}/day7/respiratory/"):
        assert client.get(path).status_code == 404, path
    for path in ("/capture/worklist/", "/capture/completeness/", "/audit/"):
        assert client.get(path).status_code == 403, path


def test_a_pharmacist_sees_only_own_site_kits_by_list_or_code(trial):
    own = randomize_both_arms(trial, "co-01")
    elsewhere = randomize_both_arms(trial, "co-02")
    pharmacist = trial.api("pharmacist-co-01")
    assert {k["kit_code"] for k in pharmacist.get("/api/v1/kits").json()} == {
        r["kit"] for r in own}
    for row in elsewhere:
        for variant in (row["kit"], row["kit"].lower(), f" {row['kit']} "):
            assert pharmacist.get(f"/api/v1/kits/{variant}").status_code == 404
    page = signed_in_client(trial.users["pharmacist-co-01"]).get("/pharmacy/").content.decode()
    assert all(r["kit"] not in page and r["code"] not in page for r in elsewhere)
    refused = signed_in_client(trial.users["pharmacist-co-01"]).post(
        "/pharmacy/", {"kit_code": elsewhere[0]["kit"], "lot": "L-1"})
    assert refused.status_code == 404
