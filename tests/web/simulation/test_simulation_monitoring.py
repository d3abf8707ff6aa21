"""The demo verifies source data (issue 16): monitoring visits per site at the protocol's
interval, planned then done by the demo's monitor; the planned records verified through the
actions, a few values found to differ from the source (a query the site answers with the
correction, verified again afterwards); findings with action items closed at the next visit; a
follow-up letter per visit. At the database lock the ``unverified_sdv`` check is (nearly) clean,
and nothing of it shows a blinded user an arm."""

from __future__ import annotations

import itertools

import pytest
from arm_crawl import arm_findings, arm_patterns, crawl_paths
from django.contrib.auth.models import User
from login import signed_in_client
from trial_factory import FAST_HASHERS

from trialdesk.web.capture.lock_readiness import checklist_snapshot, lock_scope
from trialdesk.web.capture.models import FormInstance, Lock, Query
from trialdesk.web.core import clock
from trialdesk.web.core.models import AuditRecord
from trialdesk.web.core.protocol import get_policy, get_protocol
from trialdesk.web.monitoring.models import ActionItem, Finding, MonitoringVisit, Verification
from trialdesk.web.monitoring.plan_seed import SEED_FILE
from trialdesk.web.simulation import simulate_trial
from trialdesk.web.simulation.monitoring import LETTERS
from trialdesk.web.trials.models import Randomization

pytestmark = pytest.mark.slow


def _blinded_users() -> list[User]:
    policy = get_policy()
    return [user for user in User.objects.filter(memberships__isnull=False, is_active=True)
            if not policy.sees_any_arm(user.memberships.get().role)]


def _monitoring_paths() -> list[str]:
    """Every monitoring page and API GET, for each visit, a record of each source and a
    participant of each arm."""
    paths = set()
    visits = list(MonitoringVisit.objects.order_by("pk").values_list("pk", flat=True))
    one_per_arm = {}
    for randomization in Randomization.objects.select_related("participant", "slot").order_by(
            "pk"):
        one_per_arm.setdefault(randomization.slot.arm, randomization.participant.code)
    from trialdesk.web.monitoring.records import records as all_records

    refs = {}
    for rec in all_records():
        if rec.item.participant in one_per_arm.values():
            refs.setdefault((rec.item.source, rec.item.participant), rec.ref)
    for (source, _code), ref in refs.items():
        for visit in visits[:3] + visits[-2:]:
            paths.update(p for p in crawl_paths({"source": source, "ref": ref,
                                                 "visit_id": str(visit), "item_id": "1"})
                         if "monitoring" in p)
    return sorted(paths)


@pytest.fixture
def simulated(db, settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    seen = {}

    def checkpoint(stage: str) -> None:
        if stage == "follow-up":  # the close-out round and the lock come next
            seen["regular"] = set(MonitoringVisit.objects.filter(
                status=MonitoringVisit.DONE).values_list("pk", flat=True))
            seen["follow_up_ended"] = clock.today()
        if stage == "lock":  # locked, still blinded
            seen["checks"] = {c["code"]: c for c in checklist_snapshot(
                lock_scope(Lock.DATABASE))["checks"]}
            patterns, findings = arm_patterns(), []
            paths = _monitoring_paths()
            seen["paths"] = paths
            for user in _blinded_users():
                client = signed_in_client(user)
                for path in paths:
                    response = client.get(path)
                    assert response.status_code < 500, (user.username, path)
                    found = arm_findings(response, patterns)
                    if found:
                        findings.append((user.username, path, found))
            seen["findings"] = findings

    result = simulate_trial(data_dir=tmp_path, participants=24, seed=11, stop_at="lock",
                            checkpoint=checkpoint)
    return result, seen


def test_the_demo_verifies_source_data_at_monitoring_visits(simulated):
    result, seen = simulated
    plan = get_protocol().monitoring
    monitor = User.objects.get(memberships__role="monitor")
    visits = list(MonitoringVisit.objects.order_by("site__code", "planned_date", "pk"))
    # visits per site, planned (audited) then done, by the demo's monitor
    assert {v.status for v in visits} == {MonitoringVisit.DONE}
    assert {v.monitor for v in visits} == {monitor}
    assert len(seen["regular"]) >= 3  # visits during the trial, not only at its end
    planned = AuditRecord.objects.filter(action="plan_monitoring_visit").count()
    assert planned == len(visits)
    for visit in visits:
        assert visit.done_date >= visit.created_at.date() and visit.summary
    by_site = {}
    for visit in visits:
        if visit.pk in seen["regular"]:
            by_site.setdefault(visit.site.code, []).append(visit.done_date)
    gaps = [(later - earlier).days for dates in by_site.values()
            for earlier, later in itertools.pairwise(dates)]
    # the protocol's rhythm between regular visits
    assert gaps and set(gaps) == {plan.visit_interval_days}
    # the close-out round follows the last participant's last visit within days, not weeks (how
    # long after a site's last regular visit depends on when the trial ended: not asserted)
    close_out = [visit for visit in visits if visit.pk not in seen["regular"]]
    assert {visit.site.code for visit in close_out} >= set(by_site)
    assert all(0 <= (visit.done_date - seen["follow_up_ended"]).days <= 7
               for visit in close_out)
    # the planned records verified, by the monitor, through the action (audited)
    verifications = Verification.objects.all()
    assert verifications.count() > 200
    assert set(verifications.values_list("verified_by", flat=True)) == {monitor.pk}
    assert AuditRecord.objects.filter(action="verify_source_data").exists()
    # some values differed from the source: a query each, answered (mostly corrected), and the
    # field verified again afterwards
    wrong = list(verifications.filter(status="needs_correction"))
    assert wrong
    assert len(wrong) < 0.1 * verifications.values("item").distinct().count()
    for mark in wrong:
        _code, visit_code, form, seq = mark.item.split("/")
        instance = FormInstance.objects.get(participant_id=mark.participant_id, visit=visit_code,
                                            form=form, seq=int(seq))
        [query] = Query.objects.filter(form_instance=instance, field=mark.field,
                                       text__startswith="Source data verification")
        assert query.status == Query.CLOSED
        assert query.messages.filter(action="answered").exists()
        last = verifications.filter(item=mark.item, field=mark.field).order_by("-pk").first()
        assert last.status == "verified" and last.pk > mark.pk
    corrected = AuditRecord.objects.filter(reason__startswith="Transcription error")
    assert corrected.exists()  # values corrected through the query's path (do_save_form)
    # findings with action items, closed at a later visit; a letter per visit
    assert Finding.objects.exists()
    assert ActionItem.objects.exists()
    assert not ActionItem.objects.filter(status=ActionItem.OPEN).exists()
    letters = sorted((result.data_dir / LETTERS).glob("*.html"))
    assert len(letters) == len(visits)
    # the demo's plan seed comes from its --seed (the same seed, the same trial)
    assert len((result.data_dir / SEED_FILE).read_text().strip()) == 64
    # at the lock the source data verification check is (nearly) clean
    unverified = seen["checks"]["unverified_sdv"]["count"]
    assert unverified <= 2, seen["checks"]["unverified_sdv"]["items"]
    # nothing of monitoring shows a blinded user an arm (pages, API, letters)
    assert len(seen["paths"]) > 10
    assert seen["findings"] == [], seen["findings"][:10]
    patterns = arm_patterns()
    for path in letters:
        text = path.read_text(encoding="utf-8")
        assert not [m.group(0) for p in patterns for m in p.finditer(text)], path.name
