"""Issue 12: the idempotency key of the API's create operations (``core.idempotency``), as a
whole: documented in the OpenAPI schema (the body field and the Idempotency-Key header) on each
create that takes it, never fingerprinted with a password, and a retried account creation."""

from __future__ import annotations

from idempotency import assert_idempotent

from trialdesk.web.accounts.api import UserIn
from trialdesk.web.core.idempotency import HEADER, fingerprint
from trialdesk.web.core.models import IdempotentAnswer, Membership

# every create that takes the key (screening and randomization keep their own columns); not
# the token exchanges (POST /auth/token, /users/{username}/redcap-token): their answer is a
# secret, which no table should keep in clear
IDEMPOTENT = {
    ("post", "/api/v1/participants"), ("post", "/api/v1/participants/{code}/randomize"),
    ("post", "/api/v1/participants/{code}/consent"), ("post", "/api/v1/kits/{kit_code}/dispense"),
    ("post", "/api/v1/participants/{code}/unblind"), ("post", "/api/v1/final-unblinding"),
    ("post", "/api/v1/safety/adverse-events"),
    ("post", "/api/v1/safety/adverse-events/{ae_id}/follow-ups"),
    ("post", "/api/v1/participants/{code}/adverse-events"),
    ("post", "/api/v1/participants/{code}/visits/{visit}/forms/{form}/queries"),
    ("post", "/api/v1/deviations"), ("post", "/api/v1/monitoring/visits"),
    ("post", "/api/v1/monitoring/visits/{visit_id}/findings"),
    ("post", "/api/v1/monitoring/visits/{visit_id}/action-items"),
    ("post", "/api/v1/dsmb/meetings"), ("post", "/api/v1/dsmb/meetings/{meeting_id}/reports"),
    ("post", "/api/v1/dsmb/meetings/{meeting_id}/recommendation"),
    ("post", "/api/v1/dsmb/recommendations/{recommendation_id}/response"),
    ("post", "/api/v1/dsmb/recommendations"),
    ("post", "/api/v1/supply/lots"), ("post", "/api/v1/supply/shipments"),
    ("post", "/api/v1/supply/shipments/{shipment_id}/custody"),
    ("post", "/api/v1/amendments"), ("post", "/api/v1/amendments/{number}/approvals"),
    ("post", "/api/v1/users"), ("post", "/api/v1/exports"),
    ("post", "/api/v1/participants/{code}/visits/{visit}/forms/{form}/sign"),
    ("post", "/api/v1/participants/{code}/visits/{visit}/sign"), ("post", "/api/v1/signatures"),
    ("post", "/api/v1/participants/{code}/visits/{visit}/not-done"),
    ("post", "/api/v1/participants/{code}/discontinue"),
    ("post", "/api/v1/locks"), ("post", "/api/v1/locks/overrides"),
    ("post", "/api/v1/locks/overrides/{override_id}/confirm"),
    ("post", "/api/v1/supply/lots/{lot_code}/kits"),
    *(("post", f"/api/v1/supply/kits/{{kit_code}}/{step}") for step in (
        "preparation", "infusion", "replacement")),
    *(("post", f"/api/v1/participants/{{code}}/consent/{event}") for event in (
        "capacity-regained", "confirmation", "refusal", "withdrawal", "reconsent")),
}

NEW_USER = {"username": "ana.gomez", "role": "coordinator", "site": "CO-02",
            "password": "a long enough pass phrase", "language": "es"}


def _documented(client) -> set[tuple[str, str]]:
    schema = client.get("/api/v1/openapi.json").json()
    found = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if any(p.get("name") == HEADER and p["in"] == "header"
                   for p in operation.get("parameters", [])):
                found.add((method, path))
    return found


def test_each_idempotent_create_documents_the_header_and_the_body_field(trial):
    client = trial.api("admin")
    assert _documented(client) == IDEMPOTENT
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "idempotency_key" in schemas["SafetyEventIn"]["properties"]


def test_a_password_is_not_part_of_the_fingerprint():
    body = {k: v for k, v in NEW_USER.items() if k != "password"}
    assert (fingerprint("accounts.create_user", {}, UserIn(**body, password="one pass phrase"))
            == fingerprint("accounts.create_user", {}, UserIn(**body, password="another one")))


def test_a_retried_account_creation_creates_it_once(trial):
    assert_idempotent(trial.api("admin"), "/api/v1/users", NEW_USER, counted=(Membership,),
                      other_body={**NEW_USER, "role": "investigator"})
    assert Membership.objects.filter(user__username="ana.gomez").count() == 1
    assert "pass phrase" not in str(list(IdempotentAnswer.objects.values()))
