"""Issue 15: the blinding matrix over every route and API operation with adverse events, follow-ups,
coded terms and alerts in the database: no blinded role reaches an arm through a safety page, an
API answer, an alert text or an e-mail; the pharmacist sees no other site's records."""

from __future__ import annotations

from blinding_matrix import build_viewers, run_matrix
from django.core import mail
from enrollment import randomize
from safety_kit import report

from trialdesk.blinding import arm_revealing_texts, find_leaks
from trialdesk.web.core.models import Membership
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.safety.models import SafetyAlert
from trialdesk.web.worker.runner import run_ready

EVENTS = "/api/v1/safety/adverse-events"


def _safety_or_dashboard(path: str) -> bool:
    return path.startswith(("/safety/", "/api/v1/safety/", "/?")) or path == "/"


def test_no_blinded_role_sees_an_arm_on_any_safety_page_operation_alert_or_e_mail(
        trial, django_capture_on_commit_callbacks):
    # the safety contact (blinded) reads Spanish: the alerts are judged in both languages
    contact = trial.users["safety_contact"]
    contact.email = "contacto@sponsor.example"
    contact.save(update_fields=["email"])
    Membership.objects.filter(user=contact).update(language="es")
    samples = {"code": [], "kit_code": [], "ae_id": []}
    by_site: dict[str, list[str]] = {}
    for site in ("co-01", "co-02"):
        investigator = trial.api(f"investigator-{site}")
        code, kit = randomize(investigator)
        samples["code"].append(code)
        samples["kit_code"].append(kit)
        by_site.setdefault(site, []).extend([code, kit])
        with django_capture_on_commit_callbacks(execute=True):
            sae = investigator.ok("POST", EVENTS, report(
                code, term="Anaphylaxis", grade=4, life_threatening=True,
                relatedness="probable", expectedness="unexpected"))
            mild = investigator.ok("POST", EVENTS, report(code, term="Headache"))
        investigator.ok("POST", f"{EVENTS}/{sae['id']}/follow-ups",
                        {"text": "Adrenaline given; stable", "outcome": "recovering",
                         "resolved": False})
        trial.api("data_manager").ok("POST", f"{EVENTS}/{mild['id']}/code",
                                     {"llt_code": "10019211", "pt_code": "10019211",
                                      "pt_name": "Headache"})
        samples["ae_id"] += [str(sae["id"]), str(mild["id"])]
    other_site = {f"pharmacist-{s}": [x for t, v in by_site.items() if t != s for x in v]
                  for s in ("co-01", "co-02", "co-03")}
    other_site["all"] = samples["kit_code"] + samples["code"]
    users = {k: v for k, v in trial.users.items() if not k.endswith("co-03")}
    # the safety routes and the dashboard (the events show there too); the other routes are
    # judged by tests/web/test_web_blinding_matrix.py (its trial has adverse events too)
    findings = run_matrix(build_viewers(users), samples, other_site, paths=_safety_or_dashboard)
    assert findings == []
    # the alerts and e-mails themselves (the safety contact is blinded)
    texts = arm_revealing_texts(get_protocol(), ["en", "es"])
    run_ready()  # the alerts' tasks, as the worker runs them (issue 20)
    assert SafetyAlert.objects.count() == 6 and len(mail.outbox) == 6
    assert SafetyAlert.objects.filter(subject__contains="Alerta de seguridad").count() == 2
    for alert in SafetyAlert.objects.all():
        assert find_leaks(alert.subject + "\n" + alert.body, texts) == []
        assert not any(kit in alert.body for kit in samples["kit_code"])
    for message in mail.outbox:
        assert find_leaks(message.subject + "\n" + message.body, texts) == []
