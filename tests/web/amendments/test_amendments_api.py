"""The amendment log's API: refusals that name the field and the rule (nothing stored), who may
write, and the audit records of an amendment and a site's approval."""

from __future__ import annotations

import datetime as dt

from amendment_kit import AMENDMENTS, amend, amended_text, base_text, randomization_changed_text
from enrollment import randomize

TODAY = dt.datetime.now(dt.UTC).date()


def field_of(response) -> str:
    """The field a 422 answer names (the API's one error shape)."""
    assert response.status_code == 422, response.content
    return response.json()["fields"][0]["field"]


def stored_versions() -> int:
    from trialdesk.web.amendments.models import ProtocolVersion

    return ProtocolVersion.objects.count()


def test_a_randomization_change_is_refused_once_anyone_is_randomized_naming_the_field(trial):
    admin = trial.api("admin")
    randomize(trial.api("investigator-co-01"))
    response = amend(admin, randomization_changed_text(), effective_date=TODAY.isoformat())
    assert field_of(response) == "design.randomization.block_sizes"
    assert response.json()["fields"][0]["rule"].startswith("randomization_fixed")
    assert stored_versions() == 0


def test_a_randomization_change_is_refused_once_the_allocation_list_is_loaded(trial):
    # nobody randomized yet, but allocation follows the loaded list (version 1's parameters)
    response = amend(trial.api("admin"), randomization_changed_text(),
                     effective_date=TODAY.isoformat())
    assert field_of(response) == "design.randomization.block_sizes"
    assert response.json()["fields"][0]["rule"].startswith("randomization_fixed")
    assert "allocation list is loaded" in response.json()["fields"][0]["rule"]
    assert stored_versions() == 0


def test_a_randomization_change_is_recorded_before_the_allocation_list_is_loaded(
        db, settings):
    from trial_factory import FAST_HASHERS, Trial, make_users

    from trialdesk.web.trials.demo import demo_usernames

    settings.PASSWORD_HASHERS = FAST_HASHERS
    users = Trial(make_users(demo_usernames()))  # the sites and users, no allocation list
    response = amend(users.api("admin"), randomization_changed_text(),
                     effective_date=TODAY.isoformat())
    assert response.status_code == 201, response.content
    changed = [c for c in response.json()["changes"] if c["category"] == "randomization_changed"]
    # the block sizes are confidential in the diff: compared, never shown
    assert [c["path"] for c in changed] == ["design.randomization.block_sizes"]
    assert "4, 6" not in str(changed) and "[4, 6]" not in str(changed)


def test_an_invalid_protocol_is_refused_listing_its_errors(trial):
    text = base_text().replace('code = "pao2"', 'code = "heart_rate"', 1)
    broken = text.replace("[design.randomization]", "[design.randomization\n", 1)
    response = amend(trial.api("admin"), broken, effective_date=TODAY.isoformat())
    assert field_of(response) == "toml_text"
    assert "not a valid protocol" in response.json()["detail"]
    assert stored_versions() == 0


def test_an_amendment_that_changes_nothing_or_has_no_reason_is_refused(trial):
    admin = trial.api("admin")
    same = amend(admin, base_text(), effective_date=TODAY.isoformat())
    assert field_of(same) == "toml_text"
    no_reason = amend(admin, amended_text(), effective_date=TODAY.isoformat(), reason=" ")
    assert field_of(no_reason) == "reason"
    assert stored_versions() == 0


def test_only_the_protocol_manager_amends_and_approves_and_readers_read(trial):
    denied = amend(trial.api("data_manager"), amended_text(), effective_date=TODAY.isoformat())
    assert denied.status_code == 403
    assert amend(trial.api("admin"), amended_text(),
                 effective_date=TODAY.isoformat()).status_code == 201
    approval = {"site": "CO-01", "approval_date": TODAY.isoformat()}
    assert trial.api("investigator-co-01").post(f"{AMENDMENTS}/2/approvals",
                                                approval).status_code == 403
    for reader in ("investigator-co-01", "data_manager", "monitor", "admin"):
        listed = trial.api(reader).get(AMENDMENTS)
        assert listed.status_code == 200, reader
        assert [v["number"] for v in listed.json()] == [1, 2]
    assert trial.api("pharmacist-co-01").get(AMENDMENTS).status_code == 403


def test_site_approvals_are_checked_once_per_site_and_not_in_the_future(trial):
    admin = trial.api("admin")
    assert amend(admin, amended_text(), effective_date=TODAY.isoformat()).status_code == 201
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    future = admin.post(f"{AMENDMENTS}/2/approvals", {"site": "CO-01", "approval_date": tomorrow})
    assert field_of(future) == "approval_date"
    first = admin.post(f"{AMENDMENTS}/2/approvals",
                       {"site": "CO-01", "approval_date": TODAY.isoformat()})
    assert first.status_code == 201
    again = admin.post(f"{AMENDMENTS}/2/approvals",
                       {"site": "CO-01", "approval_date": TODAY.isoformat()})
    assert again.status_code == 409
    assert field_of(admin.post(f"{AMENDMENTS}/1/approvals", {
        "site": "CO-02", "approval_date": TODAY.isoformat()})) == "version"
    assert admin.post(f"{AMENDMENTS}/9/approvals", {
        "site": "CO-02", "approval_date": TODAY.isoformat()}).status_code == 404


def test_an_amendment_and_an_approval_are_audited(trial):
    from trialdesk.web.core.models import AuditRecord

    admin = trial.api("admin")
    effective = (TODAY + dt.timedelta(days=3)).isoformat()
    assert amend(admin, amended_text(), effective_date=effective,
                 reason="Amendment 1: weight").status_code == 201
    assert admin.post(f"{AMENDMENTS}/2/approvals",
                      {"site": "CO-02", "approval_date": TODAY.isoformat()}).status_code == 201
    records = {r.action: r for r in AuditRecord.objects.filter(action__in=(
        "record_protocol_version", "amend_protocol", "record_site_approval"))}
    assert records["record_protocol_version"].object_id == "1"
    amended = records["amend_protocol"]
    assert (amended.actor, amended.object_id, amended.reason) == ("admin", "2",
                                                                  "Amendment 1: weight")
    assert amended.changes["effective_date"] == {"old": None, "new": effective}
    assert amended.changes["changes_consent_version"]["new"] is True
    approved = records["record_site_approval"]
    assert approved.object_id == "2/CO-02"
    assert approved.changes["approval_date"] == {"old": None, "new": TODAY.isoformat()}
    # effective in three days: approved today, CO-02 is not under version 2 yet
    site_rows = {row["site"]: row for row in admin.get(f"{AMENDMENTS}/2").json()["approvals"]}
    assert site_rows["CO-02"]["approval_date"] == TODAY.isoformat()
    assert not site_rows["CO-02"]["in_force"]
