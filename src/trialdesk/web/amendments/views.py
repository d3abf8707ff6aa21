"""Amendment pages: the protocol's versions, one version with its changes grouped by category
and each site's approval, and the form that records a site's approval."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trialdesk.protocol.amendment import Change
from trialdesk.protocol.amendment_text import change_line
from trialdesk.web.amendments import access, actions, presenters
from trialdesk.web.amendments.forms import ApprovalForm
from trialdesk.web.amendments.labels import CATEGORY_LABELS
from trialdesk.web.amendments.models import ProtocolVersion
from trialdesk.web.amendments.versions import version_in_force
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput
from trialdesk.web.core.models import Site
from trialdesk.web.core.pages import page


def _unapproved_sites(view: dict) -> list[str]:
    return [row["site"] for row in view["approvals"] if row["approval_date"] is None]


def _site_versions() -> list[dict[str, object]]:
    return [{"site": code, "version": version_in_force(code)}
            for code in Site.objects.order_by("code").values_list("code", flat=True)]


@require_GET  # outermost: a POST is 405 for every role
@page(access.READERS)
def version_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    versions = ProtocolVersion.objects.select_related("recorded_by").order_by("-number")
    rows = []
    for version in versions:
        row = presenters.version_summary(version)
        row["counts"] = [(CATEGORY_LABELS.get(c, c), n) for c, n in row["change_counts"].items()]
        rows.append(row)
    return render(request, "amendments/list.html", {
        "actor": actor, "rows": rows, "sites": _site_versions()})


def _detail(request: HttpRequest, actor: Actor, version: ProtocolVersion,
            form: ApprovalForm | None = None, status: int = 200) -> HttpResponse:
    view = presenters.version_view(version)
    language = (get_language() or "en")[:2]
    # each change in a line of the reader's language, by the core's own wording
    groups = [{"label": CATEGORY_LABELS.get(g["category"], g["category"]),
               "lines": [change_line(Change(**c), language) for c in g["changes"]], **g}
              for g in presenters.grouped_changes(view["changes"])]
    unapproved = _unapproved_sites(view)
    if form is None and unapproved:
        form = ApprovalForm(sites=unapproved)
    return render(request, "amendments/detail.html", {
        "actor": actor, "v": view, "groups": groups,
        "form": form if actor.can(access.MANAGE) and version.number > 1 else None,
    }, status=status)


@require_GET
@page(access.READERS)
def detail(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    return _detail(request, actor, access.access_version(number))


@require_POST
@page(access.MANAGE)
def approve(request: HttpRequest, actor: Actor, number: int) -> HttpResponse:
    version = access.access_version(number)
    form = ApprovalForm(request.POST, sites=_unapproved_sites(presenters.version_view(version)))
    if not form.is_valid():
        return _detail(request, actor, version, form, status=422)
    try:
        actions.do_record_site_approval(actor, version,
                                        access.site_by_code(form.cleaned_data["site"]),
                                        form.cleaned_data["approval_date"])
    except InvalidInput as error:
        form.add_error(error.field if error.field in form.fields else None, error.rule)
        return _detail(request, actor, version, form, status=422)
    except Conflict as error:
        form.add_error(None, error.message)
        return _detail(request, actor, version, form, status=409)
    messages.success(request, _("Approval recorded."))
    return redirect("amendments:detail", number=version.number)
