"""A site's status through the API: planned until activated, audited with the reason (issue 24).

The public registry page lists only activated sites (tests/web/registry/test_registry_sites.py).
"""

from __future__ import annotations

import pytest
from trial_factory import make_trial

from trialdesk.web.core.models import AuditRecord, Site

REASON = "Site initiation visit done; ethics approval on file."


@pytest.fixture
def trial(db, settings):
    """The trial as the server stores it: its sites planned until an administrator activates
    one (tests/web/conftest.py's trial has them activated)."""
    return make_trial(settings, open_sites=False)


def _status(trial, code: str, body: dict):
    return trial.api("admin").post(f"/api/v1/sites/{code}/status", body)


def test_activating_a_site_stores_status_and_day_and_audits_both_with_the_reason(trial):
    response = _status(trial, "CO-02", {"status": "active", "reason": REASON,
                                        "activated_on": "2020-02-03"})
    assert response.status_code == 200, response.content
    assert response.json() == {"code": "CO-02", "status": "active", "activated_on": "2020-02-03"}
    site = Site.objects.get(code="CO-02")
    assert (site.status, site.activated_on.isoformat()) == ("active", "2020-02-03")
    record = AuditRecord.objects.order_by("-seq").first()
    assert (record.action, record.model, record.object_id, record.actor, record.reason) == (
        "set_site_status", "site", "CO-02", "admin", REASON)
    assert record.changes == {"status": {"old": "planned", "new": "active"},
                              "activated_on": {"old": None, "new": "2020-02-03"}}


def test_closing_then_reopening_follows_the_transitions(trial):
    assert _status(trial, "CO-01", {"status": "active", "reason": REASON}).status_code == 200
    assert _status(trial, "CO-01", {"status": "closed", "reason": "Target reached."}
                   ).status_code == 200
    assert Site.objects.get(code="CO-01").status == "closed"
    assert _status(trial, "CO-01", {"status": "active", "reason": "Reopened."}).status_code == 200


@pytest.mark.parametrize(("code", "body", "status", "named"), [
    ("CO-01", {"status": "open", "reason": REASON}, 422, "status"),
    ("CO-01", {"status": "active", "reason": "  "}, 422, "reason"),
    ("CO-01", {"status": "active", "reason": REASON, "activated_on": "2999-01-01"}, 422,
     "activated_on"),
    ("CO-01", {"status": "planned", "reason": REASON}, 409, "cannot become planned"),
    ("CO-09", {"status": "active", "reason": REASON}, 404, ""),
])
def test_bad_requests_are_refused_naming_the_field_and_nothing_changes(trial, code, body, status,
                                                                       named):
    before = AuditRecord.objects.count()
    response = _status(trial, code, body)
    assert response.status_code == status, response.content
    assert named in response.content.decode()
    assert AuditRecord.objects.count() == before
    assert set(Site.objects.values_list("status", flat=True)) == {"planned"}


def test_only_the_administrator_may_change_a_sites_status(trial):
    response = trial.api("investigator-co-01").post(
        "/api/v1/sites/CO-01/status", {"status": "active", "reason": REASON})
    assert response.status_code == 403
    assert Site.objects.get(code="CO-01").status == "planned"
