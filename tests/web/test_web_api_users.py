"""User accounts through the API (the administrator's manage_users): list, create, deactivate."""

from __future__ import annotations

import pytest
from api_client import ApiClient
from login import signed_in_client
from role_checks import arm_leaks, refused_to_all
from trial_factory import PASSWORD

from trialdesk.web.core.models import AuditRecord, Membership

NEW_USER = {"username": "ana.gomez", "role": "coordinator", "site": "CO-02",
            "password": "a long enough pass phrase", "language": "es",
            "email": "ana.gomez@example.org"}
REASON = {"reason": "left the study team on 2026-02-01"}


def _fields(response) -> dict[str, str]:
    return {item["field"]: item["rule"] for item in response.json()["fields"]}


def _new_records(before: int) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(seq__gt=before).order_by("seq"))


def _last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def admin(trial):
    return trial.api("admin")


def test_admin_lists_every_account_with_role_site_language_and_state(trial, admin):
    response = admin.get("/api/v1/users")
    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()}
    assert set(rows) == set(trial.users)
    row = rows["investigator-co-02"] | {"last_login": None, "date_joined": None}
    assert row == {
        "username": "investigator-co-02", "role": "investigator", "site": "CO-02",
        "language": "", "email": trial.users["investigator-co-02"].email, "active": True,
        "last_login": None, "date_joined": None,
        "memberships": [{"role": "investigator", "site": "CO-02", "active": True}]}
    assert rows["dsmb_statistician"]["site"] is None
    assert list(rows) == sorted(rows)


def test_the_list_never_carries_a_password_or_its_hash(trial, admin):
    body = admin.get("/api/v1/users").content.decode()
    assert "password" not in body
    assert all(user.password not in body for user in trial.users.values())
    assert not any(key.startswith("pass") for row in admin.get("/api/v1/users").json()
                   for key in row)


def test_the_list_shows_the_last_sign_in(trial, admin):
    signed_in_client(trial.users["monitor"])  # signing in (Django's login) sets last_login
    rows = {row["username"]: row for row in admin.get("/api/v1/users").json()}
    assert rows["monitor"]["last_login"] is not None
    assert rows["analyst"]["last_login"] is None


def test_admin_creates_a_user_who_can_then_sign_in_with_the_role(admin):
    before = _last_seq()
    response = admin.post("/api/v1/users", NEW_USER)
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("username", "role", "site", "language", "email", "active")} == {
        "username": "ana.gomez", "role": "coordinator", "site": "CO-02", "language": "es",
        "email": "ana.gomez@example.org", "active": True}
    assert NEW_USER["password"] not in response.content.decode()
    [record] = _new_records(before)
    assert (record.actor, record.action, record.object_id) == ("admin", "create_user",
                                                               "ana.gomez")
    assert record.changes == {"role": {"old": None, "new": "coordinator"},
                              "site": {"old": None, "new": "CO-02"},
                              "email": {"old": None, "new": "ana.gomez@example.org"},
                              "active": {"old": None, "new": True}}
    token = ApiClient(None).post("/api/v1/auth/token", {"username": "ana.gomez",
                                                        "password": NEW_USER["password"]})
    assert token.status_code == 201
    client = ApiClient(None)
    client.headers = {"Authorization": f"Bearer {token.json()['token']}"}
    me = client.get("/api/v1/me").json()
    assert (me["role"], me["site"]) == ("coordinator", "CO-02")


@pytest.mark.parametrize(("change", "field"), [
    ({"role": "wizard"}, "role"),
    ({"site": None}, "site"),                       # a site role needs its site
    ({"role": "monitor"}, "site"),                  # a trial-wide role has none
    ({"site": "ZZ-99"}, "site"),
    ({"language": "fr"}, "language"),
    ({"email": "ana at example.org"}, "email"),
    ({"username": "monitor"}, "username"),          # taken
    ({"username": "ana gomez"}, "username"),        # a space
    ({"username": ""}, "username"),
    ({"password": "short"}, "password"),
    ({"password": "password1234"}, "password"),     # too common
    ({"arm": "msc"}, "arm"),                        # not a field
])
def test_a_bad_new_user_is_refused_naming_the_field_and_nothing_is_stored(admin, change, field):
    before, users = _last_seq(), Membership.objects.count()
    response = admin.post("/api/v1/users", {**NEW_USER, **change})
    assert response.status_code == 422, response.content
    assert field in _fields(response)
    assert _last_seq() == before and Membership.objects.count() == users


def test_a_new_user_without_a_password_is_refused(admin):
    body = {k: v for k, v in NEW_USER.items() if k != "password"}
    response = admin.post("/api/v1/users", body)
    assert response.status_code == 422
    assert _fields(response) == {"password": "is required"}


def test_admin_deactivates_a_user_whose_token_and_session_stop_working(trial, admin):
    monitor_user = trial.users["monitor"]
    token_client = ApiClient(monitor_user)
    session_client = signed_in_client(monitor_user)
    assert token_client.get("/api/v1/me").status_code == 200
    assert session_client.get("/api/v1/me").status_code == 200
    before = _last_seq()
    response = admin.post("/api/v1/users/monitor/deactivate", REASON)
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    [record] = _new_records(before)
    assert (record.actor, record.action, record.object_id) == ("admin", "deactivate_user",
                                                               "monitor")
    assert record.changes == {"active": {"old": True, "new": False}}
    assert record.reason == REASON["reason"]
    # the API token issued before is refused, and so is the session
    assert token_client.get("/api/v1/me").status_code == 401
    assert session_client.get("/api/v1/me").status_code == 401
    assert ApiClient(None).post("/api/v1/auth/token", {"username": "monitor",
                                                       "password": PASSWORD}).status_code == 403
    rows = {row["username"]: row for row in admin.get("/api/v1/users").json()}
    assert rows["monitor"]["active"] is False


def test_an_admin_cannot_deactivate_their_own_account(admin):
    before = _last_seq()
    response = admin.post("/api/v1/users/admin/deactivate", REASON)
    assert response.status_code == 409
    assert response.json()["error"] == "own_account"
    assert _last_seq() == before
    assert admin.get("/api/v1/me").status_code == 200


def test_deactivating_twice_or_an_unknown_user_is_refused(admin):
    assert admin.post("/api/v1/users/monitor/deactivate", REASON).status_code == 200
    before = _last_seq()
    again = admin.post("/api/v1/users/monitor/deactivate", REASON)
    assert (again.status_code, again.json()["error"]) == (409, "already_inactive")
    assert admin.post("/api/v1/users/nobody/deactivate", REASON).status_code == 404
    assert _last_seq() == before


@pytest.mark.parametrize(("body", "rule"), [
    ({}, "is required"),
    ({"reason": ""}, None),
    ({"reason": "   left   "}, "must say why, in at least 10 characters"),
])
def test_deactivating_needs_a_reason(trial, admin, body, rule):
    before = _last_seq()
    response = admin.post("/api/v1/users/monitor/deactivate", body)
    assert response.status_code == 422
    assert "reason" in _fields(response)
    if rule:
        assert _fields(response)["reason"] == rule
    assert _last_seq() == before
    trial.users["monitor"].refresh_from_db()
    assert trial.users["monitor"].is_active


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/v1/users", None),
    ("POST", "/api/v1/users", NEW_USER),
])
def test_every_other_role_is_forbidden(trial, method, path, body):
    before = _last_seq()
    assert refused_to_all(trial.users, ("manage_users",), method, path, body) == []
    assert _last_seq() == before
    assert not Membership.objects.filter(user__username="ana.gomez").exists()


def test_for_every_other_role_no_account_is_found_to_deactivate(trial):
    """A role that reads no account is told "not found" for one, existing or not."""
    before = _last_seq()
    for username in ("monitor", "nobody"):
        assert refused_to_all(trial.users, ("manage_users",), "POST",
                              f"/api/v1/users/{username}/deactivate", REASON,
                              record_readers=("manage_users",)) == []
    assert _last_seq() == before
    assert all(user.is_active for user in trial.users.values())


def test_no_answer_shows_the_administrator_an_arm(trial, admin):
    answers = [admin.get("/api/v1/users"), admin.post("/api/v1/users", NEW_USER),
               admin.post("/api/v1/users/ana.gomez/deactivate", REASON)]
    assert all(answer.status_code < 300 for answer in answers)
    assert [arm_leaks(trial.users["admin"], answer) for answer in answers] == [[], [], []]


@pytest.mark.parametrize("role, site", [("pharmacist", "CO-02"), ("dsmb_statistician", None)])
def test_the_blinded_administrator_cannot_create_an_account_that_sees_arms(admin, role, site):
    """Else the administrator would choose its password, sign in as it and read the arms."""
    before = _last_seq()
    response = admin.post("/api/v1/users", {**NEW_USER, "role": role, "site": site})
    assert response.status_code == 422
    assert "command line" in _fields(response)["role"]
    assert not Membership.objects.filter(user__username=NEW_USER["username"]).exists()
    assert _new_records(before) == []
