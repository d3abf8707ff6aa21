"""Issue 19: every e-mail is written in its recipient's language. A user reads their first active
membership's language, else their site's (as the administrator set it), else the trial's; an
address configured in settings reads the trial's (the protocol's first language). The queued
notifications (emergency unblinding, the DSMB's recommendation, final unblinding, a sign-in
lockout) follow it."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.test import Client
from enrollment import randomize
from test_web_spanish_crawl import english_pieces, english_texts, findings

from trialdesk.web.administration.models import SiteSettings
from trialdesk.web.core.actor import actor_for
from trialdesk.web.core.models import Membership, Site
from trialdesk.web.outbox import languages
from trialdesk.web.outbox.models import OutgoingEmail
from trialdesk.web.trials.actions.dsmb import do_record_recommendation

REASON = {"reason": "anaphylaxis: the treating team needs the arm"}
SPANISH, ENGLISH = "coordinador@hospital.example", "monitor@cro.example"
CONFIGURED = "sponsor-safety@example.org"
PASSWORD = "lockout tests pass phrase"


def _user(name: str, email: str):
    return get_user_model().objects.create_user(name, email=email)


def test_a_users_language_is_their_membership_then_their_site_then_the_trials(trial):
    site = Site.objects.get(code="CO-01")
    SiteSettings.objects.update_or_create(site=site, defaults={
        "time_zone": "America/Bogota", "language": "es"})
    person = _user("two-roles", "two-roles@example.org")
    # no language set anywhere: the site's of the first active site role
    first = Membership.objects.create(user=person, role="monitor", language="")
    Membership.objects.create(user=person, role="investigator", site=site, language="")
    assert languages.user_language(person) == "es"
    # a membership's language wins over the site's; the first active one that has one
    first.language = "en"
    first.save()
    assert languages.user_language(person) == "en"
    first.active = False  # an ended role says nothing
    first.save()
    assert languages.user_language(person) == "es"
    # no language and no site: the trial's, the protocol's first (English)
    nobody = _user("trial-wide", "trial-wide@example.org")
    Membership.objects.create(user=nobody, role="monitor")
    assert languages.trial_language() == "en" == languages.user_language(nobody)
    # an address from settings reads the trial's; a user's address reads the user's
    assert languages.addresses_of([CONFIGURED, person.email, " ", person.email]) == {
        CONFIGURED: "en", person.email: "es"}


def test_a_notification_reaches_each_recipient_in_their_language(trial, settings):
    spanish = _user("coordinadora", SPANISH)
    Membership.objects.create(user=spanish, role="monitor", language="es")
    english = _user("monitor-en", ENGLISH)
    Membership.objects.create(user=english, role="monitor", language="en")
    settings.TRIALDESK_NOTIFY_EMAILS = [CONFIGURED, SPANISH, ENGLISH]
    code, _ = randomize(trial.api("investigator-co-01"))
    answer = trial.api("investigator-co-01").post(f"/api/v1/participants/{code}/unblind", REASON)
    assert answer.status_code == 201, answer.content
    sent = {email.recipient: email for email in OutgoingEmail.objects.all()}
    assert set(sent) == {CONFIGURED, SPANISH, ENGLISH}
    assert sent[SPANISH].subject == f"[trialdesk] Desenmascaramiento de emergencia de {code}"
    assert sent[SPANISH].body == (f"investigator-co-01 desenmascaró al participante {code}.\n"
                                  f"Motivo: {REASON['reason']}\n")
    assert sent[ENGLISH].subject == f"[trialdesk] Emergency unblinding of {code}"
    assert (sent[CONFIGURED].subject, sent[CONFIGURED].body) == (
        sent[ENGLISH].subject, sent[ENGLISH].body)
    # no English of the template in the Spanish one (the reason is the user's own words)
    spanish_text = sent[SPANISH].body.replace(REASON["reason"], " ").replace("trialdesk", " ")
    english_template = english_pieces(english_texts())
    assert findings(spanish_text, english_template, []) == []
    assert findings(sent[ENGLISH].body.replace(REASON["reason"], " "), english_template, [])


def test_the_dsmb_recommendation_is_told_in_each_language_with_the_date_as_it_writes_it(
        trial, settings):
    spanish = _user("coordinadora", SPANISH)
    Membership.objects.create(user=spanish, role="monitor", language="es")
    settings.TRIALDESK_NOTIFY_EMAILS = [CONFIGURED, SPANISH]
    do_record_recommendation(actor_for(trial.users["dsmb_statistician"]),
                             meeting_date=dt.date(2026, 3, 5), decision="stop_for_safety",
                             rationale="more deaths than expected in one arm")
    sent = {email.recipient: email for email in OutgoingEmail.objects.all()}
    assert sent[SPANISH].subject == "[trialdesk] Recomendación del DSMB: Detener por seguridad"
    assert "de la reunión del 5 de marzo de 2026: Detener por seguridad." in sent[SPANISH].body
    assert sent[CONFIGURED].subject == "[trialdesk] DSMB recommendation: Stop for safety"
    assert "of the meeting of March 5, 2026: Stop for safety." in sent[CONFIGURED].body
    assert "deaths" not in sent[SPANISH].body + sent[CONFIGURED].body  # never the rationale


def test_a_locked_account_is_told_to_its_owner_and_the_administrator_each_in_theirs(trial):
    owner, admin = trial.users["coordinator-co-01"], trial.users["admin"]
    for user, address in ((owner, SPANISH), (admin, ENGLISH)):
        user.set_password(PASSWORD)
        user.email = address
        user.save()
    Membership.objects.filter(user=owner).update(language="es")
    Membership.objects.filter(user=admin).update(language="en")
    statuses = [Client(REMOTE_ADDR="10.20.30.40").post(
        "/accounts/login/", {"username": owner.username, "password": "wrong"}).status_code
        for _ in range(5)]
    assert statuses[-1] == 429
    sent = {email.recipient: email for email in OutgoingEmail.objects.filter(
        kind="sign_in_lockout")}
    assert sent[SPANISH].subject == "[trialdesk] Su cuenta fue bloqueada"
    assert sent[SPANISH].body.startswith(
        f"Su cuenta de trialdesk {owner.username} fue bloqueada durante ")
    assert " minutos. Tuvo 5 intentos fallidos" in sent[SPANISH].body
    assert ", el último desde 10.20.30.40." in sent[SPANISH].body
    assert sent[ENGLISH].subject == f"[trialdesk] Account {owner.username} locked"
    assert " minutes. It had 5 failed sign-ins, the last from 10.20.30.40." in sent[ENGLISH].body
    spanish_text = sent[SPANISH].body.replace("trialdesk", " ")
    assert findings(spanish_text, english_pieces(english_texts()), []) == []
