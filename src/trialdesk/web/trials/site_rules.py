"""The site-status rule (``trialdesk.site_status``) in the write path.

Screening, consent and randomization call :func:`refuse_unless_site_allows` inside their own
action, after reading the site's status in that action's write transaction: every writer, the
status change (``actions.sites.do_set_site_status``) included, runs under the one write lock
(``core.actions``), so no status change commits between the check and the write, and a refused
action has written nothing. The refusal names the site and its status only: it is the same for
every participant of the site, whatever their arm.
"""

from __future__ import annotations

from django.utils.translation import gettext, pgettext_lazy

from trialdesk.site_status import Activity, allows, refusal
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.models import Site

STATUS_LABELS = {
    "planned": pgettext_lazy("site status", "planned"),
    "active": pgettext_lazy("site status", "active"),
    "suspended": pgettext_lazy("site status", "suspended"),
    "closed": pgettext_lazy("site status", "closed"),
}


class SiteNotActive(Conflict):
    """The participant's site is not active: it may not bring a new patient into the trial."""

    def __init__(self, site: str, status: str, activity: Activity, message: str) -> None:
        super().__init__("site_not_active", message)
        self.site = site
        self.status = status
        self.activity = activity


def refuse_unless_site_allows(site: str, status: str, activity: Activity) -> None:
    """Raise :class:`SiteNotActive` when a site in ``status`` may not do ``activity``."""
    message = refusal(site, status, activity)
    if message is not None:
        raise SiteNotActive(site, status, activity, message)


def refusal_text(error: SiteNotActive) -> str:
    """The refusal in the reader's language, for the page that shows it next to the action."""
    return _text(error.site, error.status, error.activity)


def notice(site: str | None, activity: Activity) -> str | None:
    """What a page says before anything is typed when site ``site`` (a site role's; None for a
    trial-wide role) may not do ``activity`` now; None when it may."""
    if site is None:
        return None
    status = Site.objects.filter(code=site).values_list("status", flat=True).first()
    if status is None or allows(status, activity):
        return None
    return _text(site, status, activity)


def _text(site: str, status: str, activity: Activity) -> str:
    texts = {
        Activity.SCREEN: gettext("Site %(site)s is %(status)s: patients are screened only at an "
                                 "active site. The patients already in the trial are followed "
                                 "as before."),
        Activity.CONSENT: gettext("Site %(site)s is %(status)s: consent is recorded only at an "
                                  "active site. The patients already in the trial are followed "
                                  "as before."),
        Activity.RANDOMIZE: gettext("Site %(site)s is %(status)s: patients are randomized only "
                                    "at an active site. The patients already in the trial are "
                                    "followed as before."),
    }
    return texts[activity] % {"site": site, "status": STATUS_LABELS.get(status, status)}
