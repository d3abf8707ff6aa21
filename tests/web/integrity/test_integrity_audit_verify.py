"""`trialdesk audit verify` stays valid after a demo run plus a burst of every kind of write,
refused ones included (a wrong signature password, a rejected form, a failed login)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from django.test import Client
from integrity_kit import (
    BUILDERS,
    COORDINATOR,
    INVESTIGATOR,
    RESPIRATORY_OK,
    form_path,
)
from trial_factory import PASSWORD

from trialdesk.commands.audit import command as audit_command
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.trials.demo import enroll_demo_participants

# these lock the database: they run last, and only one of them can
FINAL = ("/api/v1/final-unblinding", "/api/v1/final-unblinding/approve")


def _verify(monkeypatch) -> dict:
    # the command points the environment at its data directory; keep ours for later tests
    for name in ("TRIALDESK_DATA_DIR", "DATABASE_URL", "TRIALDESK_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(audit_command, ["verify", "--json"])
    return {"exit_code": result.exit_code, **json.loads(result.output)}


def _burst(scenarios) -> None:
    for method, path in BUILDERS:
        if path not in FINAL:
            request = scenarios.build(method, path)
            response = scenarios.api(request.username).send(request.method, request.path,
                                                            request.body)
            assert response.status_code < 300, (method, path, response.content)
    code, _ = scenarios.randomized()
    coordinator = scenarios.api(COORDINATOR)
    rejected = coordinator.send("PUT", form_path(code), {"values": {**RESPIRATORY_OK,
                                                                    "pao2": -1}})
    assert rejected.status_code == 422
    coordinator.send("PUT", form_path(code), {"values": RESPIRATORY_OK, "complete": True})
    wrong = scenarios.api(INVESTIGATOR).send("POST", form_path(code) + "/sign",
                                             {"password": "not the password"})
    assert wrong.status_code == 422
    page = Client()
    assert page.post("/accounts/login/", {"username": "monitor", "password": "wrong"}
                     ).status_code == 200
    assert page.post("/accounts/login/", {"username": "monitor", "password": PASSWORD}
                     ).status_code == 302
    page.post("/accounts/language/", {"language": "es", "next": "/"})
    page.post("/accounts/logout/")
    approve = scenarios.build("POST", FINAL[1])
    assert scenarios.api(approve.username).send(approve.method, approve.path,
                                                approve.body).status_code < 300


def test_audit_verify_is_valid_after_a_demo_run_and_every_kind_of_write(scenarios, monkeypatch):
    counts = enroll_demo_participants(24)
    assert counts["randomized"] > 0
    assert _verify(monkeypatch)["ok"] is True
    _burst(scenarios)
    check = _verify(monkeypatch)
    assert check == {"exit_code": 0, "ok": True, "records": AuditRecord.objects.count(),
                     "first_bad_record": None, "problem": ""}
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    expected = {"screen", "consent", "randomize", "correct_screening", "dispense",
                "emergency_unblind", "save_form", "void_signature", "sign_form",
                "signature_password_failed", "raise_query", "answer_query", "close_query",
                "reopen_query", "lock", "unlock", "visit_not_done", "discontinue",
                "issue_token", "login", "login_failed", "logout", "set_language",
                "request_final_unblinding", "final_unblind"}
    assert expected <= actions, expected - actions
