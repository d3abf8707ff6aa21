"""Issue 16: monitoring shows no arm. The verification plan is the same whatever the allocation,
and no role reaches an arm through a monitoring page or operation (the blinding matrix, run with
visits, findings, action items and verifications in place)."""

from __future__ import annotations

import datetime as dt

from blinding_matrix import build_viewers, run_matrix
from monitoring_kit import MONITOR, VISITS, form_ref, participant_with_forms, plan_visit

from trialdesk.web.trials.models import AllocationSlot, Randomization


def _plan(trial) -> list[tuple[str, str | None, float | None]]:
    items = trial.api(MONITOR).get("/api/v1/monitoring/plan").json()["items"]
    return [(item["key"], item["reason"], item["draw"]) for item in items]


def test_the_same_plan_under_two_allocations(trial):
    """Swap every randomized participant's arm (the other allocation of the same trial): the plan
    lists the same records for the same reasons with the same draws."""
    for site in ("co-01", "co-02"):
        for _ in range(3):
            participant_with_forms(trial, site)
    before = _plan(trial)
    assert len(before) >= 12  # at least consent and screening of each participant
    arms = sorted({slot.arm for slot in AllocationSlot.objects.all()})
    assert len(arms) == 2
    used = AllocationSlot.objects.filter(randomization__isnull=False)
    swapped = {slot.pk: arms[1] if slot.arm == arms[0] else arms[0] for slot in used}
    for pk, arm in swapped.items():
        AllocationSlot.objects.filter(pk=pk).update(arm=arm)
    assert Randomization.objects.count() == 6
    assert _plan(trial) == before


def _monitoring_records(trial, samples) -> dict[str, list[str]]:
    """Per site: a visit with a finding and an action item, and verified records."""
    monitor = trial.api(MONITOR)
    extra: dict[str, list[str]] = {"visit_id": [], "item_id": [], "source": [], "ref": []}
    for site, code in (("CO-01", samples["code"][0]), ("CO-02", samples["code"][2])):
        visit = plan_visit(trial, site)
        monitor.ok("POST", f"{VISITS}/{visit}/findings", {
            "category": "data_quality", "severity": "minor", "text": "Vital signs late"})
        item = monitor.ok("POST", f"{VISITS}/{visit}/action-items", {
            "text": "Enter the vital signs", "owner": "Coordinator",
            "due_date": (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=7)).isoformat()})
        ref = form_ref(code)
        for source, reference in (("form", ref), ("consent", code), ("screening", code)):
            monitor.ok("POST", f"/api/v1/monitoring/records/{source}/{reference}/verification",
                       {"visit": visit, "status": "verified"})
            extra["source"].append(source)
            extra["ref"].append(reference)
        extra["visit_id"].append(str(visit))
        extra["item_id"].append(str(item["id"]))
    return extra


def test_monitoring_pages_and_operations_show_no_arm_to_blinded_roles(trial):
    samples: dict[str, list[str]] = {"code": [], "kit_code": []}
    by_site: dict[str, list[str]] = {}
    for site in ("co-01", "co-02"):
        for _ in range(2):
            code = participant_with_forms(trial, site)
            kit = Randomization.objects.get(participant__code=code).slot.kit_code
            samples["code"].append(code)
            samples["kit_code"].append(kit)
            by_site.setdefault(site, []).extend([code, kit])
    other_site = {f"pharmacist-{s}": [x for t, v in by_site.items() if t != s for x in v]
                  for s in ("co-01", "co-02", "co-03")}
    other_site["all"] = samples["kit_code"] + samples["code"]
    samples = {**samples, **_monitoring_records(trial, samples)}
    users = {k: v for k, v in trial.users.items() if not k.endswith("co-03")}
    findings = run_matrix(build_viewers(users), samples, other_site)
    assert findings == []
    # the monitoring routes answered with content to the monitor (the matrix looked at them)
    monitor = build_viewers({MONITOR: users[MONITOR]})[MONITOR][0]
    visit = samples["visit_id"][0]
    for path in ("/monitoring/", "/monitoring/plan/", f"/monitoring/visits/{visit}/",
                 f"/api/v1/monitoring/visits/{visit}", "/api/v1/monitoring/progress",
                 f"/api/v1/monitoring/records/form/{samples['ref'][0]}"):
        assert monitor.get(path).status_code == 200, path
