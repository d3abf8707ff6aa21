"""Two-factor sign-in (issue 20): a protocol that marks the pharmacist ``two_factor_required``
makes the password alone sign no pharmacist in; the first sign-in enrols an authenticator (QR
code, otpauth URI, secret), later ones ask its code; wrong codes are refused, throttled and
audited; anyone may turn it on from their own page. Codes are computed with django-otp's own
TOTP (RFC 6238) from the secret the page shows, as a phone's authenticator app would."""

from __future__ import annotations

import datetime as dt
import re
import time
from base64 import b32decode, b32encode

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from trial_factory import FAST_HASHERS, PASSWORD, make_users, protocol_in_use

from trialdesk.protocol.loader import default_protocol_path
from trialdesk.web.core.models import AuditRecord

PHARMACIST, MONITOR = "pharmacist-co-01", "monitor"
CODE_PAGE = "/accounts/login/code/"


@pytest.fixture
def users(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    text = default_protocol_path().read_text(encoding="utf-8")
    marked = text.replace('code = "pharmacist"\n',
                          'code = "pharmacist"\ntwo_factor_required = true\n')
    assert marked != text
    (tmp_path / "protocol.toml").write_text(marked, encoding="utf-8")
    with protocol_in_use(settings, tmp_path / "protocol.toml"):
        yield make_users([(PHARMACIST, "pharmacist", "CO-01"), (MONITOR, "monitor", None)])


def _password(client: Client, username: str, next_url: str = "/"):
    return client.post(f"/accounts/login/?next={next_url}",
                       {"username": username, "password": PASSWORD})


def _signed_in(client: Client) -> bool:
    # the dashboard sends a pharmacist on to the pharmacy: a sign-in page is the one refusal
    return not client.get("/").get("Location", "").startswith("/accounts/login/")


def _secret_on(page: str) -> bytes:
    secret = re.search(r'id="two-factor-secret">([A-Z2-7 ]+)<', page).group(1)
    return b32decode(secret.replace(" ", ""))


def _code(key: bytes, steps_ahead: int = 0) -> str:
    totp = TOTP(key)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _actions(since: int) -> list[str]:
    return list(AuditRecord.objects.filter(seq__gt=since).order_by("seq")
                .values_list("action", flat=True))


def _last_seq() -> int:
    return AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _enrolled_pharmacist(client: Client) -> bytes:
    _password(client, PHARMACIST)
    key = _secret_on(client.get(CODE_PAGE).content.decode())
    assert client.post(CODE_PAGE, {"code": _code(key)}).status_code == 302
    client.post("/accounts/logout/")
    return key


def test_a_required_role_enrols_at_its_first_sign_in_and_the_password_alone_signs_in_no_one(
        users):
    client = Client()
    before = _last_seq()
    response = _password(client, PHARMACIST, "/pharmacy/")
    assert response.status_code == 302 and response["Location"] == CODE_PAGE
    assert not _signed_in(client)  # the right password, and still nobody
    page = client.get(CODE_PAGE)
    body = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "<svg" in body  # the QR code, and the same setup as text
    uri = re.search(r'id="two-factor-uri">([^<]+)<', body).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/trialdesk%3Apharmacist-co-01?secret=")
    key = _secret_on(body)
    assert "issuer=trialdesk" in uri and f"secret={b32encode(key).decode()}&" in uri
    assert _secret_on(client.get(CODE_PAGE).content.decode()) == key  # a reload: the same one

    wrong = client.post(CODE_PAGE, {"code": f"{(int(_code(key)) + 1) % 10**6:06d}"})
    assert wrong.status_code == 422 and "code is wrong" in wrong.content.decode()
    assert not TOTPDevice.objects.exists() and not _signed_in(client)

    done = client.post(CODE_PAGE, {"code": _code(key)})
    assert done.status_code == 302 and done["Location"] == "/pharmacy/"
    assert _signed_in(client)
    device = TOTPDevice.objects.get(user=users[PHARMACIST])
    assert device.confirmed and device.bin_key == key
    assert _actions(before)[-2:] == ["enable_two_factor", "login"]
    # the secret is nowhere in the audit trail
    changes = str(list(AuditRecord.objects.filter(seq__gt=before).values_list("changes")))
    assert device.key not in changes and uri.split("secret=")[1][:16] not in changes


def test_later_sign_ins_ask_the_code_refuse_a_wrong_one_throttle_and_audit_it(users):
    client = Client()
    key = _enrolled_pharmacist(client)
    _password(client, PHARMACIST)
    page = client.get(CODE_PAGE).content.decode()
    assert "two-factor-secret" not in page  # the secret is shown at enrolment only
    before = _last_seq()
    wrong = client.post(CODE_PAGE, {"code": "000000" if _code(key, 1) != "000000" else "111111"})
    assert wrong.status_code == 422 and not _signed_in(client)
    assert _actions(before) == ["login_code_failed"]
    # straight after a wrong code even the right one waits (django-otp doubles the wait)
    throttled = client.post(CODE_PAGE, {"code": _code(key, 1)})
    assert throttled.status_code == 429 and "wait" in throttled.content.decode()
    assert not _signed_in(client)
    TOTPDevice.objects.update(throttling_failure_timestamp=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert client.post(CODE_PAGE, {"code": _code(key, 1)}).status_code == 302
    assert _signed_in(client)
    client.post("/accounts/logout/")
    # a code is good once: the same one again is refused
    _password(client, PHARMACIST)
    assert client.post(CODE_PAGE, {"code": _code(key, 1)}).status_code == 422


def test_a_pending_sign_in_expires_and_the_code_page_needs_the_password_first(users):
    client = Client()
    assert client.get(CODE_PAGE)["Location"] == "/accounts/login/"
    _password(client, PHARMACIST)
    session = client.session
    state = session["trialdesk_two_factor_pending"]
    state["since"] -= 301
    session["trialdesk_two_factor_pending"] = state
    session.save()
    response = client.post(CODE_PAGE, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not _signed_in(client) and not TOTPDevice.objects.exists()


def test_a_role_that_does_not_require_it_signs_in_with_the_password_and_may_turn_it_on(users):
    client = Client()
    assert _password(client, MONITOR)["Location"] == "/"
    page = client.get("/accounts/two-factor/").content.decode()
    key = _secret_on(page)
    assert client.post("/accounts/two-factor/", {"code": _code(key)}).status_code == 302
    assert TOTPDevice.objects.filter(user=users[MONITOR], confirmed=True).exists()
    client.post("/accounts/logout/")
    assert _password(client, MONITOR)["Location"] == CODE_PAGE  # now the code is asked
    assert client.post(CODE_PAGE, {"code": _code(key, 1)}).status_code == 302
    before = _last_seq()
    # turning it off takes a current code; then the password alone signs in again
    assert client.post("/accounts/two-factor/", {"code": "abcdef"}).status_code == 422
    TOTPDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    TOTPDevice.objects.update(last_t=0)  # (this test's own codes, all in a few seconds)
    assert client.post("/accounts/two-factor/", {"code": _code(key)}).status_code == 302
    assert not TOTPDevice.objects.exists() and _actions(before) == ["disable_two_factor"]
    client.post("/accounts/logout/")
    assert _password(client, MONITOR)["Location"] == "/"


def test_a_required_role_cannot_turn_it_off(users):
    client = Client()
    key = _enrolled_pharmacist(client)
    _password(client, PHARMACIST)
    client.post(CODE_PAGE, {"code": _code(key, 1)})
    page = client.get("/accounts/two-factor/").content.decode()
    assert "cannot be turned off" in page and 'name="code"' not in page
    TOTPDevice.objects.update(last_t=0)
    assert client.post("/accounts/two-factor/", {"code": _code(key)}).status_code == 409
    assert TOTPDevice.objects.filter(user=users[PHARMACIST]).exists()


def test_the_code_page_in_spanish(users):
    client = Client(headers={"Accept-Language": "es"})
    _password(client, PHARMACIST)
    body = client.get(CODE_PAGE).content.decode()
    assert "Código de inicio de sesión" in body and "Su función exige" in body


def _token(username: str, code: str | None = None):
    body = {"username": username, "password": PASSWORD}
    if code is not None:
        body["code"] = code
    return Client().post("/api/v1/auth/token", body, content_type="application/json")


def test_an_api_token_needs_the_code_too(users):
    refused = _token(PHARMACIST)  # required, not yet enrolled: the web sets it up first
    assert refused.status_code == 403 and "authenticator" in refused.json()["detail"]
    key = _enrolled_pharmacist(Client())
    assert _token(PHARMACIST).status_code == 403
    before = _last_seq()
    assert _token(PHARMACIST, "000000" if _code(key, 1) != "000000" else "111111"
                  ).status_code == 403
    assert _actions(before) == ["login_code_failed"]
    TOTPDevice.objects.update(throttling_failure_timestamp=None, throttling_failure_count=0)
    issued = _token(PHARMACIST, _code(key, 1))
    assert issued.status_code == 201 and issued.json()["token"].startswith("tdk_")
    assert _token(MONITOR).status_code == 201  # no second factor: the password, as before


def test_only_an_active_membership_of_a_marked_role_requires_it(users):
    from trialdesk.web.core.models import Membership

    Membership.objects.filter(user=users[PHARMACIST]).update(active=False)
    assert _password(Client(), PHARMACIST)["Location"] != CODE_PAGE
    Membership.objects.filter(user=users[PHARMACIST]).update(active=True)
    assert _password(Client(), PHARMACIST)["Location"] == CODE_PAGE


def test_the_operator_resets_a_lost_authenticator_and_the_next_sign_in_enrols_anew(users):
    from trialdesk.web.accounts.two_factor import do_reset_two_factor
    from trialdesk.web.core.errors import Conflict, InvalidInput

    old_key = _enrolled_pharmacist(Client())
    with pytest.raises(InvalidInput):
        do_reset_two_factor(actor="cli", username=PHARMACIST, reason="lost")
    before = _last_seq()
    do_reset_two_factor(actor="cli", username=PHARMACIST, reason="Phone lost on the ward.")
    record = AuditRecord.objects.get(seq__gt=before)
    assert (record.action, record.actor, record.reason) == (
        "reset_two_factor", "cli", "Phone lost on the ward.")
    assert not TOTPDevice.objects.exists()
    with pytest.raises(Conflict):  # nothing left to reset
        do_reset_two_factor(actor="cli", username=PHARMACIST, reason="Phone lost on the ward.")
    client = Client()
    _password(client, PHARMACIST)
    new_key = _secret_on(client.get(CODE_PAGE).content.decode())  # enrolment again
    assert new_key != old_key
