"""Issue 15, DSMB: the protocol's Bayesian safety stopping rule. The boundary table is shown in
advance to every role (no trial data in it); the rule is evaluated on every new event and trips
at the table's count, alerting the DSMB by e-mail (with the counts) and in a record; blinded
roles only see that the DSMB was alerted."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from dsmb_kit import DSMB, SPONSOR, add_event, add_infusion, days_ago, participants
from login import signed_in_client
from scipy.stats import beta

from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.dsmb import data
from trialdesk.web.dsmb.models import SafetySignal, SignalAlert
from trialdesk.web.trials.presenters import arm_label
from trialdesk.web.worker.runner import run_ready

BOUNDARY = "/api/v1/dsmb/boundary"
SIGNALS = "/api/v1/dsmb/signals"


def test_the_boundary_table_is_the_protocols_and_independent_of_data(trial):
    rule = get_protocol().safety_monitoring
    assert (rule.arm, rule.prior, rule.threshold, rule.cutoff) == ("msc", (1.0, 1.0), 0.3, 0.9)
    table = trial.api("investigator-co-01").ok("GET", BOUNDARY)
    assert table["declared"] and len(table["table"]) == rule.max_n == 20
    for row in table["table"]:
        n = row["n"]
        # independent: the smallest x with P(p > 0.3 | Beta(1 + x, 1 + n - x)) > 0.9
        above = [x for x in range(n + 1) if beta.sf(0.3, 1 + x, 1 + n - x) > 0.9]
        assert row["min_events"] == (above[0] if above else None)
    # every role reads the same table; only roles that see arms are told which arm it watches
    assert "watched_arm" not in table
    assert trial.api(DSMB).ok("GET", BOUNDARY)["watched_arm"] == "msc"
    for username in (DSMB, SPONSOR, "admin", "analyst", "monitor", "pharmacist-co-01"):
        assert trial.api(username).ok("GET", BOUNDARY)["table"] == table["table"]


def test_the_rule_trips_at_the_tables_count_and_alerts_the_dsmb(
        trial, django_capture_on_commit_callbacks):
    arms = participants(trial, 8)
    watched = sorted(code for code, arm in arms.items() if arm == "msc")[:3]
    other = next(code for code, arm in arms.items() if arm != "msc")
    for code in watched:
        add_infusion(trial, code, on=days_ago(20))
    add_infusion(trial, other, on=days_ago(20))
    needed = trial.api(DSMB).ok("GET", BOUNDARY)["table"][len(watched) - 1]["min_events"]
    assert needed == 2
    # a toxicity in the other arm, and a mild one in the watched arm: nothing
    add_event(trial, other, onset=days_ago(10), grade=4, life_threatening=True)
    add_event(trial, watched[0], onset=days_ago(10), grade=2, relatedness="possible")
    assert not SafetySignal.objects.exists()
    # the defined toxicity: grade >= 4, or serious and related
    add_event(trial, watched[0], onset=days_ago(9), grade=4, life_threatening=True)
    assert not SafetySignal.objects.exists()
    assert data.rule_status().events == needed - 1
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # sent once the event is stored
        add_event(trial, watched[1], onset=days_ago(8), grade=3, hospitalization=True,
                  relatedness="probable")
    run_ready()  # the alerts' tasks, as the worker runs them (issue 20)
    [signal] = SafetySignal.objects.all()
    assert (signal.treated, signal.events) == (3, needed)
    assert signal.probability == pytest.approx(beta.sf(0.3, 1 + needed, 1 + 3 - needed))
    # e-mail to the DSMB only, with the counts
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert "dsmb@example.org" in recipients
    assert "sponsor-safety@example.org" not in recipients
    assert "With the defined serious toxicity: 2" in mail.outbox[0].body
    assert set(SignalAlert.objects.values_list("status", flat=True)) == {"sent"}
    record = AuditRecord.objects.get(action="dsmb_safety_signal")
    assert "treated" not in str(record.changes) and "msc" not in str(record.changes).lower()
    # the same events again (an update) do not alert twice; one more event does
    add_event(trial, watched[1], onset=days_ago(7), grade=4, life_threatening=True)
    assert SafetySignal.objects.count() == 1
    add_event(trial, watched[2], onset=days_ago(6), grade=5, death=True)
    assert SafetySignal.objects.count() == 2
    # the DSMB sees the counts; a blinded role that the DSMB was alerted, and when
    dsmb = trial.api(DSMB).ok("GET", SIGNALS)
    assert dsmb[0]["events"] == 2 and dsmb[0]["treated"] == 3
    for username in (SPONSOR, "admin", "investigator-co-01", "analyst"):
        seen = trial.api(username).ok("GET", SIGNALS)
        assert seen == [{"alerted_on": days_ago(0).isoformat()}] * 2, username


def test_a_failing_mail_server_is_retried_and_recorded(
        trial, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "dsmb_failing_backend.FailingBackend"
    arms = participants(trial, 4)
    watched = next(code for code, arm in arms.items() if arm == "msc")
    add_infusion(trial, watched, on=days_ago(5))
    with django_capture_on_commit_callbacks(execute=True):
        add_event(trial, watched, onset=days_ago(4), grade=4, life_threatening=True)
    assert run_ready() == 1  # the alerts' task (issue 20)
    alerts = list(SignalAlert.objects.all())
    assert alerts and all(a.status == "failed" and a.attempts == 3 for a in alerts)
    assert "mail server down" in alerts[0].last_error
    assert AuditRecord.objects.filter(action="dsmb_signal_alert_failed").count() == len(alerts)
    # the next round waits a minute (doubling each round); the administrator, blinded, sees the
    # failing alerts without their body (the watched arm's counts) or their error's text
    [waiting] = DBTaskResult.objects.filter(status="READY")
    assert waiting.args_kwargs["args"] == [[a.pk for a in alerts]]
    page = signed_in_client(trial.users["admin"]).get("/outbox/").content.decode()
    assert 'data-source="dsmb"' in page and alerts[0].recipient in page
    assert "ConnectionRefusedError" in page and "mail server down" not in page
    assert "toxicity" not in page and arm_label("msc", "en") not in page
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    DBTaskResult.objects.filter(pk=waiting.pk).update(run_after=timezone.now())
    assert run_ready() == 1
    assert set(SignalAlert.objects.values_list("status", flat=True)) == {"sent"}


def test_an_infusion_after_the_toxicity_trips_the_rule(trial):
    """The event came first, the infusion record later: the infusion raises both counts, so it
    is the write that must evaluate the rule."""
    arms = participants(trial, 6)
    watched = sorted(code for code, arm in arms.items() if arm == "msc")[:2]
    for code in watched:
        add_event(trial, code, onset=days_ago(10), grade=4, life_threatening=True)
    assert not SafetySignal.objects.exists()  # nobody treated yet
    add_infusion(trial, watched[0], on=days_ago(12))
    [signal] = SafetySignal.objects.all()  # 1 of 1: P(p > 0.3 | Beta(2, 1)) = 0.91 > 0.9
    assert (signal.treated, signal.events) == (1, 1)


def test_the_counts_now_equal_the_counts_at_a_cutoff_after_every_record(trial):
    """Two ways to count (by the database now, record by record at a cut-off) give one result,
    on events that test every branch of the toxicity definition."""
    arms = participants(trial, 10)
    codes = sorted(arms)
    for code in codes[:8]:
        add_infusion(trial, code, on=days_ago(20))
    add_event(trial, codes[0], onset=days_ago(9), grade=4, life_threatening=True)
    add_event(trial, codes[1], onset=days_ago(9), grade=3, hospitalization=True,
              relatedness="definite")
    add_event(trial, codes[2], onset=days_ago(9), grade=3, relatedness="definite")  # not serious
    add_event(trial, codes[3], onset=days_ago(9), grade=2, hospitalization=True,
              relatedness="unlikely")  # serious, not related
    add_event(trial, codes[4], onset=days_ago(9), grade=5, death=True)
    add_event(trial, codes[4], onset=days_ago(8), grade=4, life_threatening=True)  # counted once
    add_event(trial, codes[9], onset=days_ago(9), grade=4, life_threatening=True)  # not treated
    now, later = data.rule_status(), data.rule_status(days_ago(-30))
    assert (now.treated, now.events, now.min_events, now.probability) == (
        later.treated, later.events, later.min_events, later.probability)
    watched = {code for code in codes[:8] if arms[code] == "msc"}
    assert now.treated == len(watched)
    assert now.events == len(watched & {codes[0], codes[1], codes[4]})


def test_only_a_write_that_can_raise_the_count_evaluates_the_rule(trial, monkeypatch):
    """Mild events, and events that are not the toxicity, do no work for the rule; the choice
    uses no arm (the same events in both arms make the same calls)."""
    calls: list[str] = []
    original = data.rule_status
    monkeypatch.setattr(data, "rule_status", lambda *a, **k: calls.append("x") or original(*a, **k))
    arms = participants(trial, 8)
    by_arm = {arm: sorted(code for code, given in arms.items() if given == arm)
              for arm in set(arms.values())}
    for arm, codes in sorted(by_arm.items()):
        add_infusion(trial, codes[0], on=days_ago(20))
        calls.clear()
        add_event(trial, codes[0], onset=days_ago(9), grade=2, relatedness="possible")
        add_event(trial, codes[0], onset=days_ago(9), grade=3, hospitalization=True,
                  relatedness="unlikely")
        assert calls == [], arm
        add_event(trial, codes[0], onset=days_ago(8), grade=4, life_threatening=True)
        assert calls == ["x"], arm
