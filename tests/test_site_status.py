"""What a site may do in each status (trialdesk.site_status): only an active site screens,
consents and randomizes; every site follows the patients it has."""

from __future__ import annotations

import pytest

from trialdesk import site_status as rules
from trialdesk.site_status import Activity, SiteStatus

NEW_PATIENT = (Activity.SCREEN, Activity.CONSENT, Activity.RANDOMIZE)
FOLLOW_UP = (Activity.ENTER_DATA, Activity.REPORT_ADVERSE_EVENT, Activity.ANSWER_QUERY,
             Activity.WITHDRAW)


@pytest.mark.parametrize("activity", NEW_PATIENT)
@pytest.mark.parametrize(("status", "allowed"), [
    ("planned", False), ("active", True), ("suspended", False), ("closed", False)])
def test_only_an_active_site_brings_a_new_patient_in(status, allowed, activity):
    assert rules.allows(status, activity) is allowed


@pytest.mark.parametrize("activity", FOLLOW_UP)
@pytest.mark.parametrize("status", list(SiteStatus))
def test_every_site_follows_the_patients_it_has(status, activity):
    assert rules.allows(status, activity)
    assert rules.refusal("CO-01", status, activity) is None


def test_every_activity_is_either_enrolment_or_follow_up():
    assert set(NEW_PATIENT) | set(FOLLOW_UP) == set(Activity)
    assert rules.ENROLMENT.isdisjoint(rules.FOLLOW_UP)
    assert set(rules.ALLOWED) == set(SiteStatus)


@pytest.mark.parametrize(("status", "activity", "message"), [
    ("closed", Activity.SCREEN, "site CO-03 is closed: screening is open only at an active site"),
    ("planned", Activity.CONSENT, "site CO-03 is planned: consent is open only at an active site"),
    ("suspended", Activity.RANDOMIZE,
     "site CO-03 is suspended: randomization is open only at an active site"),
])
def test_a_refusal_names_the_site_its_status_and_what_was_refused(status, activity, message):
    assert rules.refusal("CO-03", status, activity) == message


def test_an_active_site_is_refused_nothing():
    assert [rules.refusal("CO-01", "active", activity) for activity in Activity] == [
        None] * len(Activity)


def test_an_unknown_status_is_an_error_not_a_permission():
    with pytest.raises(ValueError, match="paused"):
        rules.allows("paused", Activity.SCREEN)
    with pytest.raises(ValueError, match="open"):
        rules.may_become("active", "open")


@pytest.mark.parametrize(("old", "new", "allowed"), [
    ("planned", "active", True), ("planned", "closed", True), ("planned", "suspended", False),
    ("active", "suspended", True), ("active", "closed", True), ("active", "planned", False),
    ("suspended", "active", True), ("suspended", "closed", True),
    ("suspended", "suspended", False), ("closed", "active", True), ("closed", "suspended", False),
    ("closed", "planned", False), ("active", "active", False),
])
def test_the_status_changes_a_site_may_make(old, new, allowed):
    assert rules.may_become(old, new) is allowed
