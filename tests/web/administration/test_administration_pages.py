"""Issue 20: the sponsor administrator's pages (sites, users, roles at sites, the delegation log
with training records, the password reset), in-process through Django's test client.

A role created on these pages cannot be used until the site's principal investigator signs its
delegation (password re-entered); one created at the command line is delegated by the system.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from api_client import ApiClient
from django.contrib.auth import get_user_model
from django.test import Client
from login import login_page_client, signed_in_client
from trial_factory import PASSWORD, create_user

from trialdesk.web.administration.models import AccountFlags, Delegation, SiteSettings
from trialdesk.web.core import clock
from trialdesk.web.core.models import AuditRecord, Membership, Site

TEMPORARY = "temporary pass phrase 41"
OWN = "my own pass phrase for the trial"
DUTIES = "Screening, consent, data entry"


def _audited(action: str, object_id: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action, object_id=object_id).order_by("seq"))


def _error_beside(page: str, field: str) -> str:
    """The errors Django renders beside ``field`` (its input points at them with
    aria-describedby); empty when there are none."""
    assert f'id="id_{field}"' in page, f"no field {field} on the page"
    errors = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', page, re.S)
    return errors.group(1) if errors else ""


def _create_coordinator(admin, username: str = "new-coordinator", site: str = "CO-01",
                        language: str = "en"):
    return admin.post("/administration/users/new", {
        "username": username, "email": f"{username}@example.org", "role": "coordinator",
        "site": site, "language": language, "password": TEMPORARY, "duties": DUTIES,
        "start_date": "", "end_date": ""})


def _change_password(client, current: str = TEMPORARY, new: str = OWN):
    return client.post("/administration/password/",
                       {"current_password": current, "new_password": new})


def test_sites_are_listed_created_and_edited_with_errors_beside_their_fields(trial):
    admin = signed_in_client(trial.users["admin"])
    listing = admin.get("/administration/sites/").content.decode()
    assert 'data-site="CO-01"' in listing and "America/Bogota" in listing  # protocol zone

    refused = admin.post("/administration/sites/new", {
        "code": "CO-9", "name": "Clínica Nueva", "time_zone": "Mars/Olympus", "language": "es"})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "capital letters" in _error_beside(page, "code")
    assert not Site.objects.filter(name="Clínica Nueva").exists()
    refused = admin.post("/administration/sites/new", {
        "code": "CO-09", "name": "Clínica Nueva", "time_zone": "Mars/Olympus", "language": "es"})
    assert "IANA" in _error_beside(refused.content.decode(), "time_zone")
    assert not Site.objects.filter(code="CO-09").exists()

    created = admin.post("/administration/sites/new", {
        "code": "CO-09", "name": "Clínica Nueva", "time_zone": "America/Bogota",
        "language": "es"})
    assert created.status_code == 302
    site = Site.objects.get(code="CO-09")
    assert site.status == Site.PLANNED
    assert (site.settings.time_zone, site.settings.language) == ("America/Bogota", "es")
    # a user of the site created with no language gets the site's
    assert admin.post("/administration/users/new", {
        "username": "ana", "role": "coordinator", "site": "CO-09", "language": "",
        "password": TEMPORARY, "duties": DUTIES, "email": ""}).status_code == 302
    assert Membership.objects.get(user__username="ana").language == "es"
    [record] = _audited("create_site", "CO-09")
    assert record.actor == "admin" and record.changes["time_zone"]["new"] == "America/Bogota"

    saved = admin.post("/administration/sites/CO-09/settings", {
        "time_zone": "America/Lima", "language": "en", "principal_investigator": ""})
    assert saved.status_code == 302
    assert SiteSettings.objects.get(site=site).time_zone == "America/Lima"
    [update] = _audited("update_site", "CO-09")
    assert update.changes == {"time_zone": {"old": "America/Bogota", "new": "America/Lima"},
                              "language": {"old": "es", "new": "en"}}

    # the zone the administrator sets is the one the site's staff read times in
    from zoneinfo import ZoneInfo

    from trialdesk.web.core.timezones import site_zone, user_zone

    assert user_zone(trial.users["investigator-co-01"]) == ZoneInfo("America/Bogota")
    assert admin.post("/administration/sites/CO-01/settings", {
        "time_zone": "Asia/Tokyo", "language": "es",
        "principal_investigator": ""}).status_code == 302
    assert user_zone(trial.users["investigator-co-01"]) == ZoneInfo("Asia/Tokyo")
    assert site_zone("CO-09") == ZoneInfo("America/Lima")  # a site the protocol does not name
    assert user_zone(trial.users["investigator-co-02"]) == ZoneInfo("America/Bogota")

    # the status logic is the site status action's (issue 24): a reason is required
    no_reason = admin.post("/administration/sites/CO-09/status", {"status": "active",
                                                                  "reason": ""})
    assert no_reason.status_code == 422 and Site.objects.get(code="CO-09").status == "planned"
    active = admin.post("/administration/sites/CO-09/status",
                        {"status": "active", "reason": "ethics approval received"})
    assert active.status_code == 302 and Site.objects.get(code="CO-09").status == "active"
    assert _audited("set_site_status", "CO-09")[-1].reason == "ethics approval received"


def test_a_role_created_on_the_pages_waits_for_the_site_pis_signature(trial):
    admin = signed_in_client(trial.users["admin"])
    assert _create_coordinator(admin).status_code == 302
    membership = Membership.objects.get(user__username="new-coordinator")
    [entry] = Delegation.objects.filter(membership=membership)
    assert not entry.signed and entry.duties == DUTIES and entry.created_by == "admin"
    assert _audited("record_delegation", str(entry.pk))[0].changes["role"]["new"] == "coordinator"

    user = login_page_client("new-coordinator", password=TEMPORARY)
    assert _change_password(user).status_code == 302  # first, the forced password change
    refused = user.get("/")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "not yet signed" in page and "has not named yet" in page  # no PI named yet
    api = ApiClient(get_user_model().objects.get(username="new-coordinator"))
    answer = api.get("/api/v1/queries")
    assert answer.status_code == 403 and "delegation" in answer.content.decode()

    # the administrator names the site's principal investigator: the refusal names them
    assert admin.post("/administration/sites/CO-01/settings", {
        "time_zone": "America/Bogota", "language": "es",
        "principal_investigator": "investigator-co-01"}).status_code == 302
    assert "(investigator-co-01)" in user.get("/").content.decode()

    # another site's investigator may not sign it; the PI signs with their password
    other = signed_in_client(trial.users["investigator-co-02"])
    assert f'data-delegation="{entry.pk}"' not in other.get(
        "/administration/delegations/to-sign/").content.decode()
    assert other.post(f"/administration/delegations/{entry.pk}/sign",
                      {"password": PASSWORD}).status_code == 403
    pi = signed_in_client(trial.users["investigator-co-01"])
    assert f'data-delegation="{entry.pk}"' in pi.get(
        "/administration/delegations/to-sign/").content.decode()
    wrong = pi.post(f"/administration/delegations/{entry.pk}/sign", {"password": "not it"})
    assert wrong.status_code == 422
    assert "does not match" in _error_beside(wrong.content.decode(), "password")
    assert _audited("signature_password_failed", f"delegation {entry.pk}")  # kept, refused
    entry.refresh_from_db()
    assert not entry.signed and user.get("/").status_code == 403

    assert pi.post(f"/administration/delegations/{entry.pk}/sign",
                   {"password": PASSWORD}).status_code == 302
    entry.refresh_from_db()
    assert entry.signed_by == trial.users["investigator-co-01"] and entry.signed_at is not None
    assert _audited("sign_delegation", str(entry.pk))[0].actor == "investigator-co-01"
    assert user.get("/").status_code == 200
    assert api.get("/api/v1/queries").status_code == 200


def test_a_delegation_that_ended_refuses_the_role_again(trial):
    admin = signed_in_client(trial.users["admin"])
    yesterday = clock.today() - dt.timedelta(days=1)
    assert admin.post("/administration/users/new", {
        "username": "short-term", "role": "monitor", "site": "", "language": "",
        "password": TEMPORARY, "duties": "Monitoring visit", "email": "",
        "start_date": (yesterday - dt.timedelta(days=5)).isoformat(),
        "end_date": yesterday.isoformat()}).status_code == 302
    entry = Delegation.objects.get(person__username="short-term")
    entry.signed_at, entry.signed_by_name = clock.now(), "principal_investigator"
    entry.save()
    AccountFlags.objects.filter(user__username="short-term").update(must_change_password=False)
    page = login_page_client("short-term", password=TEMPORARY).get("/")
    assert page.status_code == 403 and "ended" in page.content.decode()


def test_memberships_made_at_the_command_line_are_delegated_by_the_system(trial):
    user = create_user("cli-monitor", "monitor", None)
    [entry] = Delegation.objects.filter(person=user)
    assert entry.signed and entry.signed_by_name == Delegation.SYSTEM
    assert signed_in_client(user).get("/").status_code == 200
    log = signed_in_client(trial.users["admin"]).get("/administration/delegations/")
    assert "the system (command line)" in log.content.decode()


def test_a_deactivated_user_cannot_sign_in(trial):
    admin = signed_in_client(trial.users["admin"])
    no_reason = admin.post("/administration/users/monitor/deactivate", {"reason": "left"})
    assert no_reason.status_code == 422
    assert "10 characters" in _error_beside(no_reason.content.decode(), "reason")
    assert admin.post("/administration/users/monitor/deactivate",
                      {"reason": "left the monitoring company"}).status_code == 302
    user = get_user_model().objects.get(username="monitor")
    assert not user.is_active  # kept, never deleted
    assert _audited("deactivate_user", "monitor")[0].reason == "left the monitoring company"
    client = Client()
    refused = client.post("/accounts/login/", {"username": "monitor", "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    assert "deactivated" in admin.get("/administration/users/").content.decode()


def test_a_password_reset_by_the_admin_forces_a_change_before_anything_else(trial):
    admin = signed_in_client(trial.users["admin"])
    weak = admin.post("/administration/users/monitor/password", {"new_password": "monitor"})
    assert weak.status_code == 422 and _error_beside(weak.content.decode(), "new_password")
    assert admin.post("/administration/users/monitor/password",
                      {"new_password": TEMPORARY}).status_code == 302
    [record] = _audited("reset_password", "monitor")
    assert TEMPORARY not in str(record.changes) and record.actor == "admin"

    monitor = login_page_client("monitor", password=TEMPORARY)
    for path in ("/", "/capture/", "/deviations/"):
        answer = monitor.get(path)
        assert answer.status_code == 302 and answer["Location"] == "/administration/password/"
    api = ApiClient(trial.users["monitor"])
    assert api.get("/api/v1/queries").status_code == 403
    form = monitor.get("/administration/password/").content.decode()
    assert 'id="forced-change"' in form
    same = _change_password(monitor, new=TEMPORARY)
    assert same.status_code == 422 and "differ" in _error_beside(same.content.decode(),
                                                                 "new_password")
    assert _change_password(monitor).status_code == 302
    assert monitor.get("/").status_code == 200  # still signed in, and free to go on
    assert api.get("/api/v1/queries").status_code == 200
    assert _audited("change_password", "monitor")[0].changes["must_change_password"] == {
        "old": True, "new": False}
    login_page_client("monitor", password=OWN)


def test_the_admin_cannot_reset_the_password_of_an_account_that_sees_arms(trial):
    admin = signed_in_client(trial.users["admin"])
    refused = admin.post("/administration/users/pharmacist-co-01/password",
                         {"new_password": TEMPORARY})
    assert refused.status_code == 422 and "sees arms" in refused.content.decode()
    assert trial.users["pharmacist-co-01"].check_password(PASSWORD)
    assert not _audited("reset_password", "pharmacist-co-01")


def test_training_records_show_expiry(trial):
    admin = signed_in_client(trial.users["admin"])
    today = clock.today()
    bad = admin.post("/administration/users/coordinator-co-01/training", {
        "course": "GCP", "completed_on": today.isoformat(),
        "expires_on": (today - dt.timedelta(days=1)).isoformat()})
    assert bad.status_code == 422
    assert "after the completion date" in _error_beside(bad.content.decode(), "expires_on")
    assert admin.post("/administration/users/coordinator-co-01/training", {
        "course": "ICH GCP E6(R3)", "completed_on": "2024-01-10",
        "expires_on": "2026-01-10"}).status_code == 302
    assert admin.post("/administration/users/coordinator-co-01/training", {
        "course": "Protocol NCT04390152 training", "completed_on": "2025-02-01",
        "expires_on": ""}).status_code == 302
    page = admin.get("/administration/users/coordinator-co-01/").content.decode()
    expired = re.findall(r'<tr class="expired"><td>(.*?)</td>', page)
    assert expired == ["ICH GCP E6(R3)"]
    assert "expired training" in admin.get("/administration/users/").content.decode()
    assert _audited("record_training", str(
        get_user_model().objects.get(username="coordinator-co-01")
        .training_records.get(course="ICH GCP E6(R3)").pk))


ADMIN_PAGES = ("/administration/", "/administration/sites/", "/administration/sites/new",
               "/administration/sites/CO-01/", "/administration/users/",
               "/administration/users/new", "/administration/users/monitor/",
               "/administration/delegations/")


@pytest.mark.parametrize("username", ["investigator-co-01", "coordinator-co-01",
                                      "pharmacist-co-01", "dsmb_statistician", "analyst",
                                      "monitor"])
def test_other_roles_cannot_reach_the_admin_pages(trial, username):
    client = signed_in_client(trial.users[username])
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/administration/users/admin/password",
                       {"new_password": TEMPORARY}).status_code == 403
    assert 'href="/administration/"' not in client.get("/").content.decode()


def test_the_admin_pages_answer_every_admin_page_and_in_spanish(trial):
    admin = signed_in_client(trial.users["admin"])
    for path in ADMIN_PAGES:
        assert admin.get(path).status_code in (200, 302), path
    assert 'href="/administration/"' in admin.get("/").content.decode()
    spanish = signed_in_client(trial.users["admin"], language="es")
    assert "<h1>Usuarios</h1>" in spanish.get("/administration/users/").content.decode()
    assert "Registro de delegaciones" in spanish.get(
        "/administration/delegations/").content.decode()
    assert "Zona horaria" in spanish.get("/administration/sites/CO-01/").content.decode()
    # the refusal of an unsigned role, in Spanish
    assert _create_coordinator(admin, "coordinadora", language="es").status_code == 302
    AccountFlags.objects.filter(user__username="coordinadora").update(must_change_password=False)
    refused = login_page_client("coordinadora", password=TEMPORARY, language="es").get("/")
    page = refused.content.decode()
    assert refused.status_code == 403 and "<h1>Delegación no firmada</h1>" in page
    assert "aún no firmada" in page and "aún no ha designado" in page


def test_a_second_role_is_added_with_its_own_unsigned_delegation(trial):
    admin = signed_in_client(trial.users["admin"])
    answer = admin.post("/administration/users/monitor/roles", {
        "role": "data_manager", "site": "", "duties": "Query management",
        "start_date": "", "end_date": ""})
    assert answer.status_code == 302
    added = Membership.objects.get(user__username="monitor", role="data_manager")
    assert not Delegation.objects.get(membership=added).signed
    page = admin.get("/administration/users/monitor/").content.decode()
    assert "not yet signed" in page
    # accounts' rules hold: not the same role twice, nor a role that sees arms
    again = admin.post("/administration/users/monitor/roles", {
        "role": "data_manager", "site": "", "duties": "Query management"})
    assert again.status_code == 422 and "already holds" in _error_beside(
        again.content.decode(), "role")
    unblinded = admin.post("/administration/users/monitor/roles", {
        "role": "pharmacist", "site": "CO-01", "duties": "Dispensing"})
    assert unblinded.status_code == 422  # not offered: the form refuses it beside the field
    assert _error_beside(unblinded.content.decode(), "role")
    assert not Membership.objects.filter(user__username="monitor", role="pharmacist").exists()


def test_a_trial_wide_role_is_signed_by_the_trials_principal_investigator(trial):
    admin = signed_in_client(trial.users["admin"])
    assert admin.post("/administration/users/new", {
        "username": "new-monitor", "role": "monitor", "site": "", "language": "",
        "password": TEMPORARY, "duties": "Source data verification", "email": "",
        "start_date": "", "end_date": ""}).status_code == 302
    user = login_page_client("new-monitor", password=TEMPORARY)
    assert _change_password(user).status_code == 302
    refused = user.get("/").content.decode()
    signer = re.search(r'id="delegation-signer">(.*?)</strong>', refused, re.S).group(1)
    assert "principal investigator" in signer and "trial" in signer, signer
    entry = Delegation.objects.get(person__username="new-monitor")
    # a site's investigator may not sign a trial-wide role's delegation
    assert signed_in_client(trial.users["investigator-co-01"]).post(
        f"/administration/delegations/{entry.pk}/sign", {"password": PASSWORD}).status_code == 403
    pi = signed_in_client(trial.users["principal_investigator"])
    assert pi.post(f"/administration/delegations/{entry.pk}/sign",
                   {"password": PASSWORD}).status_code == 302
    assert user.get("/").status_code == 200


def test_a_delegation_ended_by_the_admin_refuses_the_role_from_the_next_day(trial):
    from days import days_later

    admin = signed_in_client(trial.users["admin"])
    entry = Delegation.objects.get(person__username="monitor")
    path = "/administration/users/monitor/delegations/end"
    today = clock.today()
    early = admin.post(path, {"delegation": entry.pk, "reason": "left the monitoring company",
                              "end_date": (entry.start_date - dt.timedelta(days=1)).isoformat()})
    assert early.status_code == 422
    assert "start date" in _error_beside(early.content.decode(), "end_date")
    assert admin.post(path, {"delegation": entry.pk, "reason": "left",
                             "end_date": today.isoformat()}).status_code == 422
    assert admin.post(path, {"delegation": entry.pk, "reason": "left the monitoring company",
                             "end_date": today.isoformat()}).status_code == 302
    [record] = _audited("end_delegation", str(entry.pk))
    assert record.changes == {"end_date": {"old": None, "new": today.isoformat()}}
    monitor = signed_in_client(trial.users["monitor"])
    assert monitor.get("/").status_code == 200  # the last day of the delegation
    with days_later(1):
        refused = monitor.get("/")
        assert refused.status_code == 403 and "ended" in refused.content.decode()
