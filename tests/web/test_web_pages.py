"""The pages through Django's test client: screening, consent, randomization, pharmacy, audit."""

from __future__ import annotations

import re

from django.test import Client
from eligible import ELIGIBLE_VALUES, screening_form_data
from enrollment import CONSENT
from login import login_page_client
from trial_factory import PASSWORD

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.models import AllocationSlot, Participant
from trialdesk.web.worker.runner import run_ready


def _screen_consent_randomize(client: Client) -> tuple[str, str]:
    response = client.post("/screen/", screening_form_data(ELIGIBLE_VALUES))
    assert response.status_code == 302, response.content.decode()
    code = response.url.rstrip("/").rsplit("/", 1)[-1]
    response = client.post(f"/participants/{code}/",
                           CONSENT)
    assert response.status_code == 302
    page = client.get(f"/participants/{code}/randomize/").content.decode()
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)
    response = client.post(f"/participants/{code}/randomize/",
                           {"idempotency_key": key, "confirm": "on"})
    assert response.status_code == 200
    kit = re.search(r'id="kit-code">([^<]+)<', response.content.decode()).group(1)
    return code, kit


def test_anonymous_visitor_is_sent_to_login(trial):
    response = Client().get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_investigator_randomizes_on_pages_and_sees_kit_code_but_no_arm(trial):
    client = login_page_client("investigator-co-01")
    code, kit = _screen_consent_randomize(client)
    slot = AllocationSlot.objects.get(kit_code=kit)
    assert slot.randomization.participant.code == code
    labels = [a.label.text("en") for a in __import__("trialdesk.protocol", fromlist=["x"])
              .load_protocol().design.arms]
    for path in ("/", f"/participants/{code}/"):
        body = client.get(path).content.decode()
        assert kit in body
        assert not any(label in body for label in labels)


def test_confirmation_is_required_to_randomize(trial):
    client = login_page_client("investigator-co-01")
    response = client.post("/screen/", screening_form_data(ELIGIBLE_VALUES))
    code = response.url.rstrip("/").rsplit("/", 1)[-1]
    client.post(f"/participants/{code}/", CONSENT)
    response = client.post(f"/participants/{code}/randomize/", {"idempotency_key": "k" * 20})
    assert response.status_code == 200
    assert not AllocationSlot.objects.filter(used=True).exists()


def test_pharmacist_page_shows_arm_of_own_site_kit_only(trial):
    _, kit = _screen_consent_randomize(login_page_client("investigator-co-01"))
    arm_label = {"msc": "Standard therapy plus MSC", "standard": "Standard therapy alone"}[
        AllocationSlot.objects.get(kit_code=kit).arm]
    own = login_page_client("pharmacist-co-01").get("/pharmacy/").content.decode()
    other = login_page_client("pharmacist-co-02").get("/pharmacy/").content.decode()
    assert kit in own and arm_label in own
    assert kit not in other and arm_label not in other


def test_pharmacist_records_dispensing_on_the_page(trial):
    _, kit = _screen_consent_randomize(login_page_client("investigator-co-01"))
    client = login_page_client("pharmacist-co-01")
    response = client.post("/pharmacy/", {"kit_code": kit, "lot": "LOT-7"})
    assert response.status_code == 302
    assert "LOT-7" in client.get("/pharmacy/").content.decode()


def test_screening_log_keeps_ineligible_patients(trial):
    client = login_page_client("coordinator-co-02")
    response = client.post("/screen/", screening_form_data({**ELIGIBLE_VALUES, "age": 16}))
    assert response.status_code == 302
    participant = Participant.objects.get()
    assert not participant.eligible and participant.site.code == "CO-02"
    assert "not met" in client.get(response.url).content.decode()


def test_live_eligibility_fragment_lists_each_criterion(trial):
    client = login_page_client("investigator-co-01")
    body = client.post("/screen/check/", screening_form_data(ELIGIBLE_VALUES)).content.decode()
    assert "Eligible" in body and body.count("<li>") == 7
    body = client.post("/screen/check/", {"age": "12"}).content.decode()
    assert "not met" in body and "not decided" in body
    assert not Participant.objects.exists()


def test_unblinding_page_shows_arm_and_notifies(
    trial, mailoutbox, django_capture_on_commit_callbacks
):
    client = login_page_client("investigator-co-01")
    code, _ = _screen_consent_randomize(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/participants/{code}/unblind/",
                               {"reason": "Severe reaction; need to know for treatment"})
    assert response.status_code == 200
    assert 'id="arm"' in response.content.decode()
    assert run_ready() == 2  # the worker's part: one e-mail per notified address (issue 20)
    assert len(mailoutbox) == 2
    dsmb = login_page_client("dsmb_statistician").get("/").content.decode()
    assert "Severe reaction" in dsmb


def test_audit_viewer_for_monitor_not_for_investigator(trial):
    login_page_client("investigator-co-01")
    assert login_page_client("monitor").get("/audit/").status_code == 200
    assert login_page_client("investigator-co-01").get("/audit/").status_code == 403


def test_logins_logouts_and_failed_logins_are_audited(trial):
    client = login_page_client("monitor")
    client.post("/accounts/logout/")
    Client().post("/accounts/login/", {"username": "monitor", "password": "wrong password!"})
    actions = list(AuditRecord.objects.filter(object_id="monitor").values_list("action", flat=True))
    assert actions[-3:] == ["login", "logout", "login_failed"]


def test_login_is_throttled_after_five_failures(trial):
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "admin", "password": "nope nope nope"})
    response = Client().post("/accounts/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code in (403, 429)


def test_passwords_are_hashed_with_argon2(trial, settings):
    from trialdesk.web import settings as real_settings

    assert real_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    settings.PASSWORD_HASHERS = real_settings.PASSWORD_HASHERS
    from django.contrib.auth.hashers import make_password

    assert make_password("a long test password").startswith("argon2$")


def test_pages_carry_secure_headers(trial):
    response = login_page_client("monitor").get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
