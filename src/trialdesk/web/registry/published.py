"""The study record as served: the stored record plus, for the trial this server runs, its
activated sites as ClinicalTrials.gov v2 ``locations`` (a planned site never).

The stored record is written from the protocol before any site opens, so the sites are added when
the record is served, from the same live figures the record page shows.
"""

from __future__ import annotations

import copy
from typing import Any

from trialdesk.standards.ctgov.enums import RecruitmentStatus
from trialdesk.web.registry.live import SiteStatus, live_figures
from trialdesk.web.registry.models import Study
from trialdesk.web.registry.sections import protocol_of

# a trial's overall status that an open site shares (the v2 RecruitmentStatus values)
OPEN_SITE_STATUSES = frozenset({"NOT_YET_RECRUITING", "RECRUITING", "ENROLLING_BY_INVITATION",
                                "ACTIVE_NOT_RECRUITING", "SUSPENDED"})
# a trial's end that a closed site shares; else a closed site is COMPLETED
CLOSED_SITE_STATUSES = frozenset({"TERMINATED", "WITHDRAWN"})


def location_status(site: SiteStatus, overall_status: str) -> RecruitmentStatus:
    """The site's recruiting status in the v2 vocabulary: an active site recruits as the trial
    does (not yet, recruiting, suspended...); a suspended site is suspended while the trial is
    open; a closed site has completed (or ended with the trial, when the trial was terminated
    or withdrawn)."""
    if site.status == "closed" or overall_status not in OPEN_SITE_STATUSES:
        return overall_status if overall_status in CLOSED_SITE_STATUSES else "COMPLETED"
    if site.status == "suspended":
        return "SUSPENDED"
    return overall_status  # type: ignore[return-value]  # one of OPEN_SITE_STATUSES


def locations(row: Study) -> list[dict[str, Any]]:
    """The activated sites of the trial this server runs, when ``row`` is its record."""
    if protocol_of(row) is None:
        return []
    live = live_figures(row.nct_id)
    if live is None:
        return []
    overall = row.document["protocolSection"]["statusModule"]["overallStatus"]
    return [{"facility": site.name, "status": location_status(site, overall),
             "city": site.city, "country": site.country} for site in live.sites]


def served_document(row: Study) -> dict[str, Any]:
    """The study record as the JSON and FHIR exports serve it: with its activated sites."""
    found = locations(row)
    if not found:
        return row.document
    document = copy.deepcopy(row.document)
    module = document["protocolSection"].setdefault("contactsLocationsModule", {})
    module["locations"] = found
    return document
