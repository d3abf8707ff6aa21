"""The investigators' signing sessions: what a site's investigator signs, and signing it.

A site's investigator signs weekly, in one session with one password entry
(``do_sign_forms``, 21 CFR 11.200(a)(1)(i)): every visit whose forms are all complete, and every
complete entry of a repeating form. A visit with a form still missing waits for a later session;
the final data review before the lock signs whatever is complete.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache

from trialdesk.web.capture.access import LOG_VISIT
from trialdesk.web.capture.actions import do_sign_forms
from trialdesk.web.capture.models import COMPLETE, FormInstance
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.simulation.cast import Cast, SiteTeam


@cache
def _visit_forms() -> dict[str, frozenset[str]]:
    return {visit.code: frozenset(visit.forms) for visit in get_protocol().visits}


def signable(site_id: int, *, participants: Collection[int] | None = None,
             whole_visits_only: bool = True) -> list[FormInstance]:
    """The site's complete, unsigned, unlocked forms an investigator signs now, in key order.

    ``participants``: only theirs (the participants whose forms were entered since the last
    session; None: every participant of the site). ``whole_visits_only``: a scheduled visit's
    forms only once every form of that visit is complete (a repeating form's entries stand alone).
    """
    chosen = FormInstance.objects.filter(site_id=site_id, status=COMPLETE, signed=False,
                                         locked=False)
    if participants is not None:
        chosen = chosen.filter(participant_id__in=sorted(participants))
    unsigned = list(chosen.select_related("participant").order_by(
        "participant__code", "visit", "form", "seq"))
    if not whole_visits_only:
        return unsigned
    visit_forms = _visit_forms()
    visits = {(i.participant_id, i.visit) for i in unsigned if i.visit in visit_forms}
    complete: dict[tuple[int, str], set[str]] = {}
    for participant_id, visit, form in FormInstance.objects.filter(
            site_id=site_id, status=COMPLETE, seq=1,
            participant_id__in={participant for participant, _ in visits}).values_list(
            "participant_id", "visit", "form"):
        complete.setdefault((participant_id, visit), set()).add(form)
    return [i for i in unsigned
            if i.visit == LOG_VISIT or i.visit not in visit_forms
            or visit_forms[i.visit] <= complete.get((i.participant_id, i.visit), set())]


def sign_session(team: SiteTeam, passwords: dict[str, str], site_id: int, *,
                 participants: Collection[int] | None = None,
                 whole_visits_only: bool = True) -> int:
    """The investigator signs what is ready at the site (of ``participants``), with one password
    entry; return how many forms were signed."""
    ready = signable(site_id, participants=participants, whole_visits_only=whole_visits_only)
    if not ready:
        return 0
    investigator = team.investigator
    return len(do_sign_forms(investigator, ready, password=passwords[investigator.username]))


def sign_off(cast: Cast) -> int:
    """The final data review: each site's investigator signs every complete form still
    unsigned, in one session; return how many forms were signed."""
    signed = 0
    for site in Site.objects.filter(code__in=list(cast.sites)).order_by("code"):
        signed += sign_session(cast.sites[site.code], cast.passwords, site.pk,
                               whole_visits_only=False)
    return signed
