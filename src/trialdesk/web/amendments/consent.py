"""The consent rules in force at a site once amendments are approved there (issue 17).

An amendment may add a consent document version without writing its approval date per site in
the protocol file: the version is approved at a site by the site's ethics approval of the
amendment, which the server records (``SiteApproval``). The rules a site works under are those
of its protocol version in force, with each such version approved there from the day the
amendment took effect at the site (its approval date, or the effective date when later), so
consent, re-consent and randomization ask ``ConsentRules`` as they always did.
"""

from __future__ import annotations

import datetime as dt

from trialdesk.protocol.consent import ConsentRules
from trialdesk.protocol.consent import SiteApproval as ConsentApproval
from trialdesk.web.amendments.models import SiteApproval
from trialdesk.web.amendments.versions import FIRST, in_force, protocol_version
from trialdesk.web.core.models import Site


def _versions(rules: ConsentRules | None) -> set[str]:
    return {v.version for v in rules.versions} if rules is not None else set()


def approved_by_amendment(site_code: str, up_to: int) -> dict[str, dt.date]:
    """Return the consent versions amendments (up to version ``up_to``) added without an approval
    at ``site_code``, each with the day it took effect there."""
    introduced: dict[str, dt.date] = {}
    rows = SiteApproval.objects.filter(site__code=site_code, version__number__lte=up_to).order_by(
        "version__number").values_list("version__number", "approval_date",
                                       "version__effective_date")
    for number, approved, effective in rows:
        before = _versions(protocol_version(number - 1).consent)
        rules = protocol_version(number).consent
        for version in rules.versions if rules is not None else []:
            if (version.version not in before and version.version not in introduced
                    and version.approved_on(site_code) is None):
                introduced[version.version] = max(approved, effective)
    return introduced


def consent_rules_for_site(site: Site | str) -> ConsentRules | None:
    """Return the consent rules of the protocol version in force at ``site``, the versions its
    amendments added approved there from the day they took effect."""
    code = site if isinstance(site, str) else site.code
    number, protocol = in_force(code)
    rules = protocol.consent
    if rules is None or number == FIRST:
        return rules
    introduced = approved_by_amendment(code, number)
    if not introduced:
        return rules
    versions = [
        version.model_copy(update={"approvals": [
            *version.approvals, ConsentApproval(site=code, date=introduced[version.version])]})
        if version.version in introduced else version
        for version in rules.versions]
    return rules.model_copy(update={"versions": versions})
