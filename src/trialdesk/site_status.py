"""What a trial site may do in each of its statuses: a rule that holds for a paper trial too.

A site is *planned* until the sponsor activates it, *active* while it recruits, *suspended* while
recruitment is halted for a while (an ethics or monitoring finding, a supply problem) and *closed*
once it recruits no more. Only an active site brings a new patient into the trial: screening,
consent and randomization. Whatever the status, the patients already in the trial are followed
(ICH E6(R3) 2.7 and 3.10: their safety and the integrity of their data outlast recruitment): their
visits and forms, adverse events, queries, withdrawals, dispensing and unblinding go on.

>>> allows("suspended", Activity.RANDOMIZE)
False
>>> allows("closed", Activity.REPORT_ADVERSE_EVENT)
True
>>> refusal("CO-02", "suspended", Activity.SCREEN)
'site CO-02 is suspended: screening is open only at an active site'
"""

from __future__ import annotations

from enum import StrEnum


class SiteStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class Activity(StrEnum):
    """What is done at a site, grouped as the status rule needs it."""

    # bringing a new patient in: only at an active site
    SCREEN = "screen"
    CONSENT = "consent"
    RANDOMIZE = "randomize"
    # following a patient already in the trial: at any site that has one
    ENTER_DATA = "enter_data"
    REPORT_ADVERSE_EVENT = "report_adverse_event"
    ANSWER_QUERY = "answer_query"
    WITHDRAW = "withdraw"


ENROLMENT = frozenset({Activity.SCREEN, Activity.CONSENT, Activity.RANDOMIZE})
FOLLOW_UP = frozenset(Activity) - ENROLMENT

ALLOWED: dict[SiteStatus, frozenset[Activity]] = {
    # a planned site has no patient of its own; its follow-up stays open so that no safety report
    # is ever refused for a status (a site opened before statuses were recorded is stored planned)
    SiteStatus.PLANNED: FOLLOW_UP,
    SiteStatus.ACTIVE: ENROLMENT | FOLLOW_UP,
    SiteStatus.SUSPENDED: FOLLOW_UP,
    SiteStatus.CLOSED: FOLLOW_UP,
}

# status -> the statuses it may change to: a suspension is lifted or ends in closure; a closed
# site may reopen; nothing goes back to planned
TRANSITIONS: dict[SiteStatus, frozenset[SiteStatus]] = {
    SiteStatus.PLANNED: frozenset({SiteStatus.ACTIVE, SiteStatus.CLOSED}),
    SiteStatus.ACTIVE: frozenset({SiteStatus.SUSPENDED, SiteStatus.CLOSED}),
    SiteStatus.SUSPENDED: frozenset({SiteStatus.ACTIVE, SiteStatus.CLOSED}),
    SiteStatus.CLOSED: frozenset({SiteStatus.ACTIVE}),
}

# the activity as a sentence's subject, in the refusal's English
_NAMES = {Activity.SCREEN: "screening", Activity.CONSENT: "consent",
          Activity.RANDOMIZE: "randomization"}


def allows(status: str, activity: Activity) -> bool:
    """Whether a site in ``status`` may do ``activity``; ValueError for an unknown status."""
    return activity in ALLOWED[SiteStatus(status)]


def may_become(status: str, new: str) -> bool:
    """Whether a site in ``status`` may change to ``new``; ValueError for an unknown status."""
    return SiteStatus(new) in TRANSITIONS[SiteStatus(status)]


def refusal(site: str, status: str, activity: Activity) -> str | None:
    """Why site ``site`` in ``status`` may not do ``activity`` (None when it may)."""
    if allows(status, activity):
        return None
    name = _NAMES.get(activity, activity.value.replace("_", " "))
    return f"site {site} is {status}: {name} is open only at an active site"
