"""The administrator's page of notifications that keep failing, and "try again now"."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.pages import page
from trialdesk.web.outbox import mail, presenters


@require_GET
@page(mail.RETRY_PERMISSION, record_readers=None)
def undelivered(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "outbox/undelivered.html", {
        "actor": actor, "rows": presenters.undelivered_rows(),
        "keeps_failing": mail.KEEPS_FAILING, "max_attempts": mail.MAX_ATTEMPTS})


@require_POST
@page(mail.RETRY_PERMISSION, record_readers=None)
def retry(request: HttpRequest, actor: Actor, email_id: int) -> HttpResponse:
    try:
        email = mail.do_retry_email(actor, email_id=email_id)
    except Conflict:
        messages.info(request, _("That e-mail has been sent meanwhile."))
    else:
        messages.success(request, _("E-mail to %(recipient)s queued to be tried again now.")
                         % {"recipient": email.recipient})
    return redirect("outbox:undelivered")
