"""Issue 12: a monitoring visit, a finding and an action item each take an idempotency key
(``core.idempotency``): a retry answers the first record and adds none."""

from __future__ import annotations

import datetime as dt

from idempotency import assert_idempotent
from monitoring_kit import MONITOR, VISITS, plan_visit

from trialdesk.web.monitoring.models import ActionItem, Finding, MonitoringVisit


def _in_days(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


def test_a_retried_visit_plan_is_the_first_visit(trial):
    planned = {"site": "CO-01", "kind": "on_site", "planned_date": _in_days(3)}
    answer = assert_idempotent(trial.api(MONITOR), VISITS, planned, counted=(MonitoringVisit,),
                               other_body={**planned, "kind": "remote"})
    assert MonitoringVisit.objects.get().pk == answer["id"]


def test_a_retried_finding_and_action_item_are_recorded_once(trial):
    visit = plan_visit(trial, "CO-02", days=-1)
    monitor = trial.api(MONITOR)
    finding = {"category": "consent", "severity": "major",
               "text": "Two consent forms lack the witness's signature."}
    found = assert_idempotent(monitor, f"{VISITS}/{visit}/findings", finding,
                              counted=(Finding,), key="finding-key-01",
                              other_body={**finding, "severity": "minor"})
    item = {"text": "Obtain the witness signatures.", "owner": "Dr. Restrepo (PI)",
            "due_date": _in_days(14), "finding": found["id"]}
    assert_idempotent(monitor, f"{VISITS}/{visit}/action-items", item, counted=(ActionItem,),
                      key="action-key-01", other_body={**item, "owner": "The coordinator"})
    assert (Finding.objects.count(), ActionItem.objects.count()) == (1, 1)
