"""Every permission the system knows: a closed list, so a misspelt one fails instead of passing.

A protocol grants permissions to its roles by name; the loader refuses a name not on this list, and
``BlindingPolicy.has_permission`` refuses to be asked about one, so a typo in a protocol file or in
code is an error rather than a permission silently granted or denied.

>>> Permission("randomize").description
'Randomize an enrolled, consented participant (the kit code is shown, never the arm).'
>>> unknown_permission_message("randomise")
"unknown permission 'randomise'; did you mean 'randomize'?"
"""

from __future__ import annotations

import difflib
from enum import StrEnum


class Permission(StrEnum):
    """One thing a role may do; the value is the name a protocol file writes."""

    # at a site, with participants
    SCREEN = "screen"
    ENROLL = "enroll"
    RANDOMIZE = "randomize"
    ENTER_FORMS = "enter_forms"
    SIGN_FORMS = "sign_forms"
    REPORT_AE = "report_ae"
    REQUEST_UNBLINDING = "request_unblinding"
    ANSWER_QUERIES = "answer_queries"
    # the unblinded pharmacy
    VIEW_KIT_ARM = "view_kit_arm"
    RECORD_DISPENSING = "record_dispensing"
    # the cell product's supply chain (issue 18): unblinded to product data
    RELEASE_LOTS = "release_lots"
    MANAGE_SUPPLY = "manage_supply"
    # data management and monitoring
    READ = "read"
    RAISE_QUERIES = "raise_queries"
    CLOSE_QUERIES = "close_queries"
    LOCK = "lock"
    CONFIRM_LOCK_OVERRIDE = "confirm_lock_override"
    VERIFY_SOURCE = "verify_source"
    REPORT_DEVIATIONS = "report_deviations"
    # statistics
    BLINDED_EXPORT = "blinded_export"
    BLINDED_ANALYSIS = "blinded_analysis"
    UNBLINDED_REPORTS = "unblinded_reports"
    RECOMMEND = "recommend"
    RESPOND_RECOMMENDATION = "respond_recommendation"
    DESIGN = "design"
    # administration
    MANAGE_USERS = "manage_users"
    MANAGE_SITES = "manage_sites"
    MANAGE_PROTOCOL = "manage_protocol"
    READ_AUDIT = "read_audit"
    READ_UNBLINDING_EVENTS = "read_unblinding_events"

    @property
    def description(self) -> str:
        """Return what the permission allows, in one line."""
        return DESCRIPTIONS[self]


DESCRIPTIONS: dict[Permission, str] = {
    Permission.SCREEN:
        "Screen patients at the role's site: enter screening values and see eligibility.",
    Permission.ENROLL: "Record consent and enroll an eligible patient as a participant.",
    Permission.RANDOMIZE:
        "Randomize an enrolled, consented participant (the kit code is shown, never the arm).",
    Permission.ENTER_FORMS: "Enter, correct and import case report form data.",
    Permission.SIGN_FORMS: "Sign completed forms and visits as the responsible investigator.",
    Permission.REPORT_AE: "Report an adverse event or a serious adverse event for a participant.",
    Permission.REQUEST_UNBLINDING:
        "Request emergency unblinding of one participant's arm, with a reason (audited).",
    Permission.ANSWER_QUERIES: "Answer a data query raised on a form value.",
    Permission.VIEW_KIT_ARM: "See which arm a kit holds, for kits of the role's own site only.",
    Permission.RECORD_DISPENSING: "Record that a kit was dispensed to a participant.",
    Permission.RELEASE_LOTS:
        "Release or reject a product lot on its release tests, with an electronic signature.",
    Permission.MANAGE_SUPPLY:
        "Register lots, ship kits to sites, see inventory per arm and the supply forecast.",
    Permission.READ: "Read participant records and case report forms without changing them.",
    Permission.RAISE_QUERIES: "Raise a data query on a form value.",
    Permission.CLOSE_QUERIES: "Close an answered data query.",
    Permission.LOCK:
        "Lock and unlock forms and the database, and request the final unblinding after lock.",
    Permission.CONFIRM_LOCK_OVERRIDE:
        "Confirm a lock the data manager requested despite outstanding checklist items (PI).",
    Permission.VERIFY_SOURCE:
        "Verify entered data against source documents, with the audit trail to hand.",
    Permission.REPORT_DEVIATIONS:
        "Report protocol deviations (site staff: at their own site) and follow up their CAPA.",
    Permission.BLINDED_EXPORT:
        "Export trial data and read the analysis report with arms shown as coded groups.",
    Permission.BLINDED_ANALYSIS:
        "Run and read the blinded analysis (coded groups, dummy allocation until unblinding).",
    Permission.UNBLINDED_REPORTS:
        "Read unblinded safety and efficacy reports and approve the final unblinding.",
    Permission.RECOMMEND: "Record the DSMB's recommendation to continue, modify or stop the trial.",
    Permission.RESPOND_RECOMMENDATION:
        "Record the sponsor's response to a DSMB recommendation and read the open DSMB report.",
    Permission.DESIGN:
        "Use the design pages: sample sizes, group-sequential boundaries, simulations.",
    Permission.MANAGE_USERS: "Create, change and deactivate user accounts and assign their roles.",
    Permission.MANAGE_SITES: "Add the trial's sites and change their details.",
    Permission.MANAGE_PROTOCOL: "Load and activate protocol versions.",
    Permission.READ_AUDIT: "Read the audit trail (without the emergency unblindings).",
    Permission.READ_UNBLINDING_EVENTS:
        "See which participants were emergency-unblinded, by whom, when and why (never the arm).",
}

ALL_PERMISSIONS: frozenset[str] = frozenset(permission.value for permission in Permission)
"""The names of every permission, as a protocol file writes them."""


class UnknownPermission(ValueError):
    """A permission name that is not on the list (a typo, most likely)."""


def unknown_permission_message(name: object) -> str:
    """Return why ``name`` is refused: the closest known name, or else every known name."""
    close = (
        difflib.get_close_matches(name, sorted(ALL_PERMISSIONS), n=1, cutoff=0.6)
        if isinstance(name, str) else []
    )
    if close:
        return f"unknown permission {name!r}; did you mean {close[0]!r}?"
    return f"unknown permission {name!r}; known: {', '.join(p.value for p in Permission)}"


def to_permission(name: object) -> Permission:
    """Return the permission called ``name``; raise UnknownPermission if there is none."""
    try:
        return Permission(name)
    except ValueError:
        raise UnknownPermission(unknown_permission_message(name)) from None
