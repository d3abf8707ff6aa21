"""The sign-in lockout locks out the account under attack, not everyone behind its address.

Two users behind one address (a hospital's NAT): five wrong passwords for user A lock A (even
with the right password, from any address) for the cool-off, while user B signs in from the same
address. Only past a much higher threshold of failures from one address (50, whatever the
usernames) is everyone from that address refused. A's owner and the administrator get one e-mail
each. The login page and the API's token exchange follow the same rules and share the counts.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from trialdesk.web import settings as server_settings
from trialdesk.web.worker.runner import run_ready

PASSWORD = "lockout tests pass phrase"
WRONG = "not the right pass phrase"
NAT = "10.20.30.40"  # the ward's shared address
ELSEWHERE = "10.99.0.1"
A, B = "coordinator-co-01", "investigator-co-01"
A_MAIL, ADMIN_MAIL = "coordinator@hospital.example", "trial-admin@hospital.example"


@pytest.fixture
def users(trial: Any) -> dict[str, Any]:
    for name in (A, B, "admin"):
        user = trial.users[name]
        user.set_password(PASSWORD)
        user.email = {A: A_MAIL, "admin": ADMIN_MAIL}.get(name, "")
        user.save()
    mail.outbox.clear()
    return trial.users


def _page(username: str, password: str, address: str = NAT) -> int:
    client = Client(REMOTE_ADDR=address)
    return client.post("/accounts/login/", {"username": username,
                                            "password": password}).status_code


def _token(username: str, password: str, address: str = NAT) -> Any:
    client = Client(REMOTE_ADDR=address)
    return client.post("/api/v1/auth/token", json.dumps({"username": username,
                                                         "password": password}),
                       content_type="application/json")


def _mails() -> list[tuple[tuple[str, ...], str]]:
    run_ready()  # the e-mails are sent by tasks (issue 20): the worker's part, here and now
    return sorted((tuple(message.to), message.subject) for message in mail.outbox)


def _after_the_cool_off() -> None:
    """Test set-up: the failures happened a cool-off ago (and a minute)."""
    cool_off = dt.timedelta(hours=server_settings.AXES_COOLOFF_TIME, minutes=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(
            attempt_time=attempt.attempt_time - cool_off)


def test_five_wrong_passwords_lock_that_account_only(users):
    statuses = [_page(A, WRONG) for _ in range(5)]
    assert statuses[:4] == [200] * 4  # the form again, with its error
    assert statuses[4] == 429  # the fifth locks A
    # B, behind the same address, signs in
    assert _page(B, PASSWORD) == 302
    # A is locked, right password or not, from any address
    assert _page(A, PASSWORD) == 429
    assert _page(A, PASSWORD, ELSEWHERE) == 429
    assert _token(A, PASSWORD, ELSEWHERE).status_code == 429
    # one e-mail each to A's owner and to the administrator, not one per refused attempt
    assert _mails() == [((A_MAIL,), "[trialdesk] Your account was locked"),
                        ((ADMIN_MAIL,), f"[trialdesk] Account {A} locked")]
    assert NAT in mail.outbox[0].body and NAT in mail.outbox[1].body
    # the cool-off over, A signs in again
    _after_the_cool_off()
    assert _page(A, PASSWORD) == 302
    assert len(mail.outbox) == 2


def test_the_token_exchange_follows_the_same_rules(users):
    answers = [_token(A, WRONG) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [403] * 4 + [429]
    assert answers[4].json()["error"] == "locked_out"
    assert "15 minutes" in answers[4].json()["detail"]
    assert _token(B, PASSWORD).status_code == 201
    locked = _token(A, PASSWORD)
    assert locked.status_code == 429 and locked.json()["error"] == "locked_out"
    assert _page(A, PASSWORD) == 429  # one count for both ways in
    assert _page(B, PASSWORD) == 302
    assert _mails() == [((A_MAIL,), "[trialdesk] Your account was locked"),
                        ((ADMIN_MAIL,), f"[trialdesk] Account {A} locked")]


def test_failures_by_page_and_by_token_add_up(users):
    for _ in range(3):
        assert _page(A, WRONG) == 200
    assert _token(A, WRONG, ELSEWHERE).status_code == 403
    assert _token(A, WRONG, ELSEWHERE).status_code == 429
    assert _page(A, PASSWORD) == 429


def test_an_address_is_locked_out_only_past_its_own_higher_threshold(users):
    limit = server_settings.TRIALDESK_LOGIN_ADDRESS_FAILURE_LIMIT
    assert limit >= 10 * server_settings.AXES_FAILURE_LIMIT
    # a password-guessing run over many names, four tries each: no account reaches five
    names = [f"guess-{index:02d}" for index in range(limit // 4 + 1)]
    attempts = [name for name in names for _ in range(4)][:limit]
    statuses = [_page(name, WRONG) for name in attempts[:-1]]
    assert set(statuses) == {200}
    assert _page(B, PASSWORD) == 302  # one short of the threshold: the ward still signs in
    assert _page(attempts[-1], WRONG) == 429  # the threshold: the address is locked out
    assert _page(B, PASSWORD) == 429
    assert _token(B, PASSWORD).status_code == 429
    assert _page(A, PASSWORD) == 429
    # from elsewhere, everyone signs in
    assert _page(B, PASSWORD, ELSEWHERE) == 302
    assert _token(A, PASSWORD, ELSEWHERE).status_code == 201
    # the administrator is told once; no account was locked, so no owner is
    assert _mails() == [((ADMIN_MAIL,), f"[trialdesk] Sign-ins from {NAT} refused")]
    _after_the_cool_off()
    assert _page(B, PASSWORD) == 302


def test_the_admins_setting_takes_precedence_over_admin_users(users, settings):
    settings.ADMINS = [("Security desk", "security@hospital.example")]
    for _ in range(5):
        _page(A, WRONG)
    assert _mails() == [((A_MAIL,), "[trialdesk] Your account was locked"),
                        (("security@hospital.example",), f"[trialdesk] Account {A} locked")]


def test_an_account_without_an_e_mail_address_is_still_locked_and_the_admin_told(users):
    for _ in range(5):
        _page(B, WRONG)
    assert _page(B, PASSWORD) == 429
    assert _page(A, PASSWORD) == 302
    assert _mails() == [((ADMIN_MAIL,), f"[trialdesk] Account {B} locked")]
