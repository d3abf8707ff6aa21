"""Credentials issued before two-factor sign-in applied (issue 20): turning it on or the operator's
reset revokes the user's API and REDCap tokens (each audited: who, whose, why); a token issued
without a code to an account that must now give one is refused (401 ``two_factor_required``);
a web session signed in on the password alone is sent to the code page. Roles the protocol does
not mark, without an authenticator, keep working as before. Codes are computed with django-otp's
own TOTP (RFC 6238) from the secret the page shows, as an authenticator app would."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from trial_factory import FAST_HASHERS, PASSWORD, make_users, protocol_in_use

from trialdesk.protocol.loader import default_protocol_path
from trialdesk.web.accounts import two_factor
from trialdesk.web.accounts.models import ApiToken
from trialdesk.web.core.models import AuditRecord

PHARMACIST, MONITOR = "pharmacist-co-01", "monitor"
CODE_PAGE = "/accounts/login/code/"
SETTINGS_PAGE = "/accounts/two-factor/"
REDCAP = "/redcap/api/"


@pytest.fixture
def marked_protocol(tmp_path):
    """The bundled protocol with the pharmacist marked ``two_factor_required``."""
    text = default_protocol_path().read_text(encoding="utf-8")
    marked = text.replace('code = "pharmacist"\n',
                          'code = "pharmacist"\ntwo_factor_required = true\n')
    assert marked != text
    path = tmp_path / "marked.toml"
    path.write_text(marked, encoding="utf-8")
    return path


@pytest.fixture
def users(db, settings):
    # the bundled protocol: no role requires a code yet
    settings.PASSWORD_HASHERS = FAST_HASHERS
    with protocol_in_use(settings, default_protocol_path()):
        yield make_users([(PHARMACIST, "pharmacist", "CO-01"), (MONITOR, "monitor", None)])


def _token(username: str, code: str = "") -> str:
    response = Client().post("/api/v1/auth/token",
                             {"username": username, "password": PASSWORD, "code": code},
                             content_type="application/json")
    assert response.status_code == 201, response.content
    return response.json()["token"]


def _me(token: str):
    return Client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def _redcap(token: str) -> int:
    return Client().post(REDCAP, {"token": token, "content": "version"}).status_code


def _signed_in_client(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] != CODE_PAGE
    return client


def _code(key: bytes, steps_ahead: int = 0) -> str:
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _enable_on_own_page(client: Client) -> bytes:
    page = client.get(SETTINGS_PAGE).content.decode()
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    key = b32decode(secret.replace(" ", ""))
    assert client.post(SETTINGS_PAGE, {"code": _code(key)}).status_code == 302
    return key


def _last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _records(since: int, action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(seq__gt=since, action=action).order_by("seq"))


def test_turning_it_on_revokes_the_tokens_issued_before_and_audits_each(users):
    from trialdesk.web.redcap.actions import do_issue_redcap_token

    old = _token(MONITOR)
    assert ApiToken.objects.get(user=users[MONITOR]).two_factor is False
    redcap = do_issue_redcap_token(actor="cli", username=MONITOR)
    assert _me(old).status_code == 200 and _redcap(redcap) == 200
    client = _signed_in_client(MONITOR)
    before = _last_seq()
    key = _enable_on_own_page(client)

    assert _me(old).status_code == 401 and _redcap(redcap) == 401
    assert not ApiToken.objects.filter(user=users[MONITOR]).exists()
    [revoked] = _records(before, "revoke_token")
    assert (revoked.actor, revoked.model, revoked.reason) == (
        MONITOR, "api_token", two_factor.ENABLED_REASON)
    assert revoked.changes["user"]["old"] == MONITOR
    assert revoked.changes["two_factor"]["old"] is False
    assert revoked.changes["role"]["old"] == "monitor" and revoked.at is not None
    [redcap_revoked] = _records(before, "revoke_redcap_token")
    assert (redcap_revoked.actor, redcap_revoked.object_id, redcap_revoked.reason) == (
        MONITOR, MONITOR, two_factor.ENABLED_REASON)
    # the session that gave the code goes on; a new token needs the code, and says it had one
    assert client.get("/").status_code == 200
    new = _token(MONITOR, _code(key, 1))
    assert _me(new).status_code == 200
    assert ApiToken.objects.get(user=users[MONITOR]).two_factor is True
    issued = AuditRecord.objects.filter(action="issue_token").order_by("-seq").first()
    assert issued.changes["two_factor"] == {"old": None, "new": True}


def test_the_operators_reset_revokes_the_tokens_issued_with_the_lost_authenticator(users):
    from trialdesk.web.redcap.actions import do_issue_redcap_token

    key = _enable_on_own_page(_signed_in_client(MONITOR))
    token = _token(MONITOR, _code(key, 1))
    redcap = do_issue_redcap_token(actor="cli", username=MONITOR)
    before = _last_seq()
    two_factor.do_reset_two_factor(actor="cli", username=MONITOR,
                                   reason="Phone lost on the ward.")
    assert _me(token).status_code == 401 and _redcap(redcap) == 401
    for action in ("revoke_token", "revoke_redcap_token"):
        [record] = _records(before, action)
        assert record.actor == "cli"
        assert record.reason == two_factor.RESET_REASON + "Phone lost on the ward."


def test_a_token_issued_without_a_code_is_refused_once_the_protocol_requires_one(
        users, settings, marked_protocol):
    pharmacist, monitor = _token(PHARMACIST), _token(MONITOR)
    assert _me(pharmacist).status_code == 200
    with protocol_in_use(settings, marked_protocol):
        refused = _me(pharmacist)
        assert refused.status_code == 401
        body = refused.json()
        assert body["error"] == "two_factor_required"
        assert "without a sign-in code" in body["detail"] and "/api/v1/auth/token" in body["detail"]
        # nothing changes for a role the protocol does not mark
        assert _me(monitor).status_code == 200
        assert Client().get("/api/v1/me").json()["error"] == "unauthenticated"


def test_a_token_of_another_role_of_a_person_who_must_give_a_code_is_refused_too(
        users, settings, marked_protocol):
    from trialdesk.web.accounts.actions import do_issue_api_token
    from trialdesk.web.core.models import Membership, Site

    # the monitor is made their site's pharmacist as well: the sign-in is the person's
    Membership.objects.create(user=users[MONITOR], role="pharmacist",
                              site=Site.objects.get(code="CO-01"))
    _, secret = do_issue_api_token(users[MONITOR], label="script", role="monitor")
    assert _me(secret).status_code == 200
    with protocol_in_use(settings, marked_protocol):
        assert _me(secret).json()["error"] == "two_factor_required"


def test_a_session_signed_in_on_the_password_is_sent_to_the_code_page(users):
    other_browser = _signed_in_client(MONITOR)
    assert other_browser.get("/").status_code == 200
    key = _enable_on_own_page(_signed_in_client(MONITOR))
    response = other_browser.get("/participants/?page=2")
    assert response.status_code == 302 and response["Location"] == CODE_PAGE
    assert other_browser.get("/api/v1/me").status_code == 401  # signed out meanwhile
    done = other_browser.post(CODE_PAGE, {"code": _code(key, 1)})
    assert done.status_code == 302 and done["Location"] == "/participants/?page=2"
    assert other_browser.get("/").status_code == 200


def test_the_api_refuses_a_session_whose_code_was_not_given(users, settings, marked_protocol):
    client = _signed_in_client(PHARMACIST)
    with protocol_in_use(settings, marked_protocol):
        response = client.get("/api/v1/me")
        assert response.status_code == 401 and response.json()["error"] == "two_factor_required"


def test_a_required_role_without_an_authenticator_gives_the_password_again(
        users, settings, marked_protocol):
    client = _signed_in_client(PHARMACIST)
    assert client.get("/pharmacy/").status_code == 200
    with protocol_in_use(settings, marked_protocol):
        response = client.get("/pharmacy/")
        # the enrolment shows a new secret: only to someone who has just given the password
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=%2Fpharmacy%2F"
        assert client.get("/pharmacy/")["Location"].startswith("/accounts/login/")
        again = client.post("/accounts/login/?next=/pharmacy/",
                            {"username": PHARMACIST, "password": PASSWORD})
        assert again["Location"] == CODE_PAGE
        assert not TOTPDevice.objects.exists()


def test_roles_without_the_requirement_keep_their_sessions_and_tokens(
        users, settings, marked_protocol):
    client, token = _signed_in_client(MONITOR), _token(MONITOR)
    with protocol_in_use(settings, marked_protocol):
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/me").status_code == 200
        assert _me(token).status_code == 200
