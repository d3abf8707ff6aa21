"""Re-consent after an amendment that changes the consent version (issue 17): who gets a task
(participants still in follow-up at sites that approved it), its due date and overdue flag, and
how it clears."""

from __future__ import annotations

import datetime as dt

from amendment_kit import AMENDMENTS, NEW_CONSENT, amend, amended_text
from enrollment import randomize

TODAY = dt.datetime.now(dt.UTC).date()
TASKS = "/api/v1/consent/reconsent-tasks"


def _ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def _tasks(client) -> dict[str, dict]:
    response = client.get(TASKS)
    assert response.status_code == 200, response.content
    return {task["participant"]: task for task in response.json()}


def test_reconsent_tasks_follow_the_approvals_and_clear_on_reconsent(trial):
    from trialdesk.web.trials.consent_state import DEFAULT_RECONSENT_DAYS

    site_a, site_b = trial.api("investigator-co-01"), trial.api("investigator-co-02")
    admin, data_manager = trial.api("admin"), trial.api("data_manager")
    in_follow_up, _ = randomize(site_a, days_ago=20)
    died, _ = randomize(site_a, days_ago=20)
    withdrawn, _ = randomize(site_a, days_ago=20)
    off_treatment, _ = randomize(site_a, days_ago=20)
    finished, _ = randomize(site_a, days_ago=80)  # follow-up over before the amendment
    other_site, _ = randomize(site_b, days_ago=20)
    assert site_a.post(f"/api/v1/participants/{died}/discontinue",
                       {"kind": "died", "date": TODAY.isoformat()}).status_code == 201
    for code, level in ((withdrawn, "follow_up"), (off_treatment, "treatment")):
        answer = site_a.post(f"/api/v1/participants/{code}/consent/withdrawal",
                             {"date": TODAY.isoformat(), "level": level, "data_use": True})
        assert answer.status_code == 201, answer.content

    assert amend(admin, amended_text(), effective_date=_ago(40)).status_code == 201
    assert _tasks(data_manager) == {}  # recorded, approved nowhere yet
    assert admin.post(f"{AMENDMENTS}/2/approvals",
                      {"site": "CO-01", "approval_date": _ago(40)}).status_code == 201
    tasks = _tasks(data_manager)
    assert set(tasks) == {in_follow_up, off_treatment}
    due = (TODAY - dt.timedelta(days=40 - DEFAULT_RECONSENT_DAYS)).isoformat()
    assert tasks[in_follow_up] == {"participant": in_follow_up, "site": "CO-01",
                                   "signed_version": "1.0", "version": NEW_CONSENT,
                                   "since": _ago(40), "due": due, "overdue": True}
    assert finished not in tasks and other_site not in _tasks(site_b)

    assert admin.post(f"{AMENDMENTS}/2/approvals",
                      {"site": "CO-02", "approval_date": TODAY.isoformat()}).status_code == 201
    later = _tasks(site_b)  # a site role sees its own site's tasks only
    assert set(later) == {other_site}
    assert later[other_site]["overdue"] is False
    assert later[other_site]["due"] == (TODAY + dt.timedelta(
        days=DEFAULT_RECONSENT_DAYS)).isoformat()

    signed = site_a.post(f"/api/v1/participants/{in_follow_up}/consent/reconsent",
                         {"date": TODAY.isoformat(), "form_version": NEW_CONSENT})
    assert signed.status_code == 201, signed.content
    assert set(_tasks(data_manager)) == {off_treatment, other_site}


def test_a_version_not_approved_at_the_site_cannot_be_signed_there(trial):
    site_b = trial.api("investigator-co-02")
    code, _ = randomize(site_b)
    assert amend(trial.api("admin"), amended_text(),
                 effective_date=TODAY.isoformat()).status_code == 201
    refused = site_b.post(f"/api/v1/participants/{code}/consent/reconsent",
                          {"date": TODAY.isoformat(), "form_version": NEW_CONSENT})
    assert refused.status_code == 422
    assert refused.json()["fields"][0]["field"] == "form_version"
