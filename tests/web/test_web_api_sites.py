"""The trial's sites through the API (the administrator's manage_sites): list and sync."""

from __future__ import annotations

import pytest
from faults import fail_after_the_audit_record
from role_checks import arm_leaks, refused_to_all
from trial_factory import make_trial, protocol_in_use

from trialdesk.protocol import default_protocol_path
from trialdesk.web.core.models import AuditRecord, Site

NEW_SITE = '''[[sites]]
code = "CO-04"
name = "Cali ICU site"
city = "Cali"
country = "Colombia"
'''


@pytest.fixture
def trial(db, settings):
    """The trial as the server stores it: its sites planned until an administrator activates
    one (tests/web/conftest.py's trial has them activated)."""
    return make_trial(settings, open_sites=False)


def _last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@pytest.fixture
def amended_protocol(settings, tmp_path):
    """The bundled protocol amended with a fourth site, CO-04, in use for the test."""
    text = default_protocol_path().read_text(encoding="utf-8")
    anchor = "\n# --- roles"
    assert anchor in text, "the bundled protocol's layout changed"
    path = tmp_path / "amended.toml"
    path.write_text(text.replace(anchor, "\n" + NEW_SITE + anchor, 1), encoding="utf-8")
    with protocol_in_use(settings, path):
        yield path


def test_admin_lists_the_protocols_sites_with_city_country_and_stored(trial):
    response = trial.api("admin").get("/api/v1/sites")
    assert response.status_code == 200
    assert response.json()[0] == {"code": "CO-01", "name": "Clínica SOMER", "city": "Rionegro",
                                  "country": "Colombia", "in_protocol": True, "stored": True,
                                  "stored_name": "Clínica SOMER", "status": "planned",
                                  "activated_on": None}
    assert [(s["code"], s["stored"]) for s in response.json()] == [
        ("CO-01", True), ("CO-02", True), ("CO-03", True)]


def test_syncing_when_every_site_is_stored_writes_nothing(trial):
    before = _last_seq()
    response = trial.api("admin").post("/api/v1/sites/sync")
    assert response.status_code == 200
    assert response.json()["created"] == []
    assert _last_seq() == before


def test_a_site_added_by_an_amendment_is_listed_unstored_until_synced(trial, amended_protocol):
    admin = trial.api("admin")
    listed = {s["code"]: s for s in admin.get("/api/v1/sites").json()}
    assert listed["CO-04"] == {"code": "CO-04", "name": "Cali ICU site", "city": "Cali",
                               "country": "Colombia", "in_protocol": True, "stored": False,
                               "stored_name": None, "status": None, "activated_on": None}
    before = _last_seq()
    response = admin.post("/api/v1/sites/sync")
    assert response.status_code == 200, response.content
    assert response.json()["created"] == ["CO-04"]
    assert {s["code"]: s["stored"] for s in response.json()["sites"]}["CO-04"] is True
    assert Site.objects.get(code="CO-04").name == "Cali ICU site"
    [record] = AuditRecord.objects.filter(seq__gt=before)
    assert (record.actor, record.action, record.model, record.object_id) == (
        "admin", "create_site", "site", "CO-04")
    assert record.changes == {"name": {"old": None, "new": "Cali ICU site"}}
    # a second sync finds nothing to do
    assert admin.post("/api/v1/sites/sync").json()["created"] == []
    assert AuditRecord.objects.filter(seq__gt=before).count() == 1


def test_a_dry_run_names_the_sites_it_would_create_and_stores_nothing(trial, amended_protocol):
    before = _last_seq()
    response = trial.api("admin").post("/api/v1/sites/sync", {"dry_run": True})
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["would_create"]) == ([], ["CO-04"])
    assert not Site.objects.filter(code="CO-04").exists() and _last_seq() == before


@pytest.mark.parametrize(("body", "field"), [({"dry_run": [1]}, "dry_run"),
                                             ({"sites": ["CO-04"]}, "sites")])
def test_a_bad_sync_request_names_the_field(trial, amended_protocol, body, field):
    response = trial.api("admin").post("/api/v1/sites/sync", body)
    assert response.status_code == 422
    assert [item["field"] for item in response.json()["fields"]] == [field]
    assert not Site.objects.filter(code="CO-04").exists()


def test_a_new_site_can_be_given_users_once_synced(trial, amended_protocol):
    admin = trial.api("admin")
    user = {"username": "investigator-co-04", "role": "investigator", "site": "CO-04",
            "password": "a long enough pass phrase"}
    refused = admin.post("/api/v1/users", user)
    assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == "site"
    admin.post("/api/v1/sites/sync")
    assert admin.post("/api/v1/users", user).status_code == 201


def test_a_stored_site_the_protocol_no_longer_names_is_listed_as_such(trial):
    Site.objects.create(code="CO-09", name="Closed site")  # test set-up: an older protocol's site
    listed = {s["code"]: s for s in trial.api("admin").get("/api/v1/sites").json()}
    assert listed["CO-09"] == {"code": "CO-09", "name": "Closed site", "city": None,
                               "country": None, "in_protocol": False, "stored": True,
                               "stored_name": "Closed site", "status": "planned",
                               "activated_on": None}


def test_sync_is_all_or_nothing(trial, amended_protocol, monkeypatch):
    """A failure after the audit record (the disk filled up) leaves no site and no record."""
    before = _last_seq()
    fail_after_the_audit_record(monkeypatch)
    admin = trial.api("admin")
    admin.client.raise_request_exception = False
    assert admin.post("/api/v1/sites/sync").status_code == 500
    monkeypatch.undo()
    assert not Site.objects.filter(code="CO-04").exists()
    assert _last_seq() == before


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/sites"),
                                              ("POST", "/api/v1/sites/sync")])
def test_every_other_role_is_refused(trial, amended_protocol, method, path):
    assert refused_to_all(trial.users, ("manage_sites",), method, path) == []
    assert not Site.objects.filter(code="CO-04").exists()


def test_no_answer_shows_the_administrator_an_arm(trial, amended_protocol):
    admin = trial.api("admin")
    answers = [admin.get("/api/v1/sites"), admin.post("/api/v1/sites/sync")]
    assert [arm_leaks(trial.users["admin"], answer) for answer in answers] == [[], []]
