"""The supply pages (issue 18): the overview (stock per site with its resupply flag, lots and their
release, shipments with receipt and quarantine), the forecast (supply manager) and a kit's
preparation (pharmacist). Every write posts to one page, ``do/``, naming its action; each goes
through the same action as the API. Blinded roles reach none of these pages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from trialdesk.supply import Interruption
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import Conflict, InvalidInput, NotFound
from trialdesk.web.core.pages import page
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.core.timezones import local_time
from trialdesk.web.supply import access, actions, presenters
from trialdesk.web.supply.forecast import supply_forecast
from trialdesk.web.supply.inventory import PROBLEMS, kit_problems, site_stock
from trialdesk.web.supply.models import (
    CODE_MAX,
    Infusion,
    KitLot,
    KitReplacement,
    Lot,
    Preparation,
)
from trialdesk.web.supply.replacement import REPLACE, access_assigned_kit, do_replace_kit
from trialdesk.web.supply.signing import release_meaning
from trialdesk.web.trials.access import access_kit_by_code, visible_kits
from trialdesk.web.trials.kits import kit_holder

READERS = (access.MANAGE, access.RELEASE, access.PHARMACY)
WRITERS = (access.MANAGE, access.RELEASE, "record_dispensing")


def _language() -> str:
    return (get_language() or "en")[:2]


def _number(field: str, text: str, *, required: bool = False) -> float | None:
    text = (text or "").strip().replace(",", ".")
    if not text:
        if required:
            raise InvalidInput(field, "is required")
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(field, "must be a number") from None


def _date(field: str, text: str) -> dt.date:
    value = parse_date((text or "").strip()) if text else None
    if value is None:
        raise InvalidInput(field, "must be a date (YYYY-MM-DD)")
    return value


def _moment(field: str, text: str) -> dt.datetime:
    value = parse_datetime((text or "").strip()) if text else None
    if value is None:
        raise InvalidInput(field, "must be a date and time (YYYY-MM-DDTHH:MM)")
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _kit_codes(text: str) -> list[str]:
    return [code for code in (text or "").replace(",", " ").split() if code]


@require_GET  # outermost: a POST is 405 for every role
@page(READERS)
def overview(request: HttpRequest, actor: Actor) -> HttpResponse:
    rules = get_protocol().product
    sites = access.stock_sites(actor, [site.code for site in get_protocol().sites])
    minimum = rules.resupply_minimum_per_arm if rules else 1
    stock = [presenters.stock_view(site_stock(code), minimum,
                                   name_next_kits=actor.can(access.MANAGE)) for code in sites]
    lots = ([presenters.lot_view(lot) for lot in Lot.objects.order_by("code")]
            if actor.can_any(access.READ_LOTS) else [])
    return render(request, "supply/overview.html", {
        "actor": actor, "stock": stock, "lots": lots, "product": rules,
        "shipments": [presenters.shipment_view(s) for s in access.visible_shipments(actor)],
        "tests": rules.release_tests if rules else [], "language": _language(),
        "meaning": release_meaning(_language()),
        "may_manage": actor.can(access.MANAGE), "may_release": actor.can(access.RELEASE),
        "may_receive": actor.can_any(access.RECEIVE),
        "kits": _site_kits(actor) if actor.site else [],
    })


def _site_kits(actor: Actor) -> list[str]:
    """The kits given at the pharmacist's site: by randomization, then as replacements (which
    have no randomization of their own, so the trials app's list leaves them out)."""
    kits = [slot.kit_code for slot in visible_kits(actor)]
    if actor.can(access.PHARMACY):
        kits += list(KitReplacement.objects.filter(participant__site__code=actor.site)
                     .order_by("pk").values_list("new_slot__kit_code", flat=True))
    return kits


def _register(request: HttpRequest, actor: Actor) -> None:
    rules = actions.product_rules()
    results: dict[str, Any] = {}
    for test in rules.release_tests:
        text = request.POST.get(f"result_{test.code}", "").strip()
        if text:
            results[test.code] = text if test.kind == "pass" else _number(f"result_{test.code}",
                                                                           text)
    actions.do_register_lot(
        actor, code=request.POST.get("code", ""), product=request.POST.get("product", ""),
        manufacturer=request.POST.get("manufacturer", ""),
        manufactured_on=_date("manufactured_on", request.POST.get("manufactured_on", "")),
        cells_per_ml=_number("cells_per_ml", request.POST.get("cells_per_ml", "")),
        notes=request.POST.get("notes", ""), results=results)


def _release(request: HttpRequest, actor: Actor) -> None:
    lot = access.access_lot(actor, request.POST.get("lot_code", ""))
    actions.do_decide_release(actor, lot, password=request.POST.get("password", ""),
                              language=_language())


def _assign(request: HttpRequest, actor: Actor) -> None:
    lot = access.access_lot(actor, request.POST.get("lot_code", ""))
    actions.do_assign_kits(actor, lot, kit_codes=_kit_codes(request.POST.get("kits", "")))


def _ship(request: HttpRequest, actor: Actor) -> None:
    actions.do_ship(actor, kit_codes=_kit_codes(request.POST.get("kits", "")),
                    destination=request.POST.get("destination", ""),
                    origin=request.POST.get("origin", ""))


def _shipment(request: HttpRequest, actor: Actor) -> Any:
    number = request.POST.get("shipment", "")
    if not number.isdigit() or len(number) > 12:
        raise InvalidInput("shipment", "must be a shipment number")
    return access.access_shipment(actor, int(number))


def _receive(request: HttpRequest, actor: Actor) -> None:
    shipment = _shipment(request, actor)
    upload = request.FILES.get("temperature_log")
    if upload is None or upload.size > 500_000:
        raise InvalidInput("temperature_log", "upload the logger's CSV (at most 500 kB)")
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("temperature_log", "must be a UTF-8 CSV file") from None
    actions.do_receive(actor, shipment, temperature_log=text)


def _resolve(request: HttpRequest, actor: Actor) -> None:
    actions.do_resolve_quarantine(actor, _shipment(request, actor),
                                  resolution=request.POST.get("resolution", ""),
                                  reason=request.POST.get("reason", ""))


def _custody(request: HttpRequest, actor: Actor) -> None:
    actions.do_record_custody(actor, _shipment(request, actor),
                              handed_by=request.POST.get("handed_by", ""),
                              received_by=request.POST.get("received_by", ""),
                              place=request.POST.get("place", ""),
                              at=_moment("at", request.POST.get("at", "")))


WRITES: dict[str, Callable[[HttpRequest, Actor], None]] = {
    "register_lot": _register, "release": _release, "assign_kits": _assign, "ship": _ship,
    "receive": _receive, "resolve_quarantine": _resolve, "custody": _custody,
}


@require_POST
@page(WRITERS)
def do(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Run the write the form names (``do``); a refusal is shown with its field and rule."""
    write = WRITES.get(request.POST.get("do", ""))
    if write is None:
        messages.error(request, _("Choose what to do."))
        return redirect("supply:overview")
    try:
        write(request, actor)
    except InvalidInput as error:
        messages.error(request, f"{error.field}: {error.rule}")
    except Conflict as error:
        if error.reason == "database_locked":
            raise
        messages.error(request, error.message)
    else:
        messages.success(request, _("Recorded."))
    return _back(request)


KIT_PAGE_WRITES = ("prepare", "infusion")


def _back(request: HttpRequest) -> HttpResponse:
    """A write made on a kit's page returns to it (a code that is no kit code: the overview)."""
    kit_code = request.POST.get("kit_code", "").strip()
    if request.POST.get("do") in KIT_PAGE_WRITES and re.fullmatch(r"[A-Za-z0-9-]{1,20}",
                                                                  kit_code):
        return redirect("supply:kit", kit_code=kit_code)
    return redirect("supply:overview")


@require_GET
@page(access.MANAGE)
def forecast(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "supply/forecast.html", {"actor": actor,
                                                    "forecast": supply_forecast()})


def _prepare(request: HttpRequest, actor: Actor) -> None:
    slot = access_kit_by_code(actor, request.POST.get("kit_code", ""))
    actions.do_prepare(
        actor, slot, thawed_at=_moment("thawed_at", request.POST.get("thawed_at", "")),
        viability_percent=_number("viability_percent", request.POST.get("viability_percent", "")))


WRITES["prepare"] = _prepare
INTERRUPTION_ROWS = 3  # rows the page offers; the API takes up to the core's maximum


def _interruptions(request: HttpRequest) -> list[Interruption]:
    """The page's interruption rows: an empty row is skipped, a partial one refused by field."""
    pauses = []
    for row in range(1, INTERRUPTION_ROWS + 1):
        names = [f"interruption_{part}_{row}" for part in ("start", "end", "reason")]
        start, end, reason = (request.POST.get(name, "").strip() for name in names)
        if not (start or end or reason):
            continue
        if not reason:
            raise InvalidInput(names[2], "is required for an interruption")
        pauses.append(Interruption(_moment(names[0], start), _moment(names[1], end), reason))
    return pauses


def _infuse(request: HttpRequest, actor: Actor) -> None:
    slot = access_kit_by_code(actor, request.POST.get("kit_code", ""))
    actions.do_record_infusion(
        actor, slot, started_at=_moment("started_at", request.POST.get("started_at", "")),
        ended_at=_moment("ended_at", request.POST.get("ended_at", "")),
        rate_ml_per_h=_number("rate_ml_per_h", request.POST.get("rate_ml_per_h", ""),
                              required=True),
        volume_ml=_number("volume_ml", request.POST.get("volume_ml", ""), required=True),
        interruptions=_interruptions(request), reactions=request.POST.get("reactions", ""))


WRITES["infusion"] = _infuse


@require_GET
@page(access.PHARMACY, record_readers=(access.PHARMACY,))
def kit(request: HttpRequest, actor: Actor, kit_code: str) -> HttpResponse:
    """The pharmacist's page of one allocated kit of the site: its lot, usability and the
    preparation (thaw time, viability, dose and volume from the recorded weight)."""
    slot = access_kit_by_code(actor, kit_code)
    preparation = Preparation.objects.filter(slot=slot).first()
    infusion = Infusion.objects.filter(preparation=preparation).first() if preparation else None
    kit_lot = KitLot.objects.select_related("lot").filter(slot=slot).first()
    return render(request, "supply/kit.html", {
        "actor": actor, "kit": slot.kit_code, "participant": kit_holder(slot).code,
        "lot": kit_lot.lot.code if kit_lot else None,
        "problems": [PROBLEMS[code] for code in kit_problems(slot)] if kit_lot else [],
        "preparation": presenters.preparation_view(preparation) if preparation else None,
        # on the page, in the reader's zone with its offset (the API answers in UTC)
        "times": {"thawed_at": local_time(preparation.thawed_at, seconds=False),
                  "use_by": local_time(preparation.use_by, seconds=False)} if preparation else {},
        # which kit replaced this one, or which one it replaced (the pharmacist follows the bag)
        "replaced_by": KitReplacement.objects.filter(old_slot=slot).values_list(
            "new_slot__kit_code", flat=True).first(),
        "replaces": KitReplacement.objects.filter(new_slot=slot).values_list(
            "old_slot__kit_code", flat=True).first(),
        "infusion": presenters.infusion_view(infusion) if infusion else None,
        "infusion_times": _infusion_times(infusion) if infusion else {},
        "interruption_rows": range(1, INTERRUPTION_ROWS + 1),
        "product": get_protocol().product,
        "may_prepare": actor.can("record_dispensing"),
    })


def _infusion_times(infusion: Infusion) -> dict[str, Any]:
    """The infusion's times in the reader's zone with the offset (the API answers in UTC)."""
    def shown(text: str) -> str:
        return local_time(dt.datetime.fromisoformat(text), seconds=False)

    return {"started_at": local_time(infusion.started_at, seconds=False),
            "ended_at": local_time(infusion.ended_at, seconds=False),
            "interruptions": [{"start": shown(p["start"]), "end": shown(p["end"]),
                               "reason": p["reason"]} for p in infusion.interruptions]}


@page(REPLACE, record_readers=REPLACE)
def replace(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The site's kit replacement (investigator, blinded, or pharmacist): the kit to replace and
    why; the answer names the new kit and nothing else (no arm, lot or stock)."""
    if request.method == "POST":
        typed = request.POST.get("kit_code", "")
        try:
            replacement = do_replace_kit(actor, access_assigned_kit(actor, typed),
                                         reason=request.POST.get("reason", ""),
                                         note=request.POST.get("note", ""))
        except InvalidInput as error:
            messages.error(request, f"{error.field}: {error.rule}")
        except NotFound:  # one answer for every code that is no kit of the site's participants
            messages.error(request, _("kit_code: no kit of a participant of your site has this "
                                      "code."))
        except Conflict as error:
            if error.reason == "database_locked":
                raise
            messages.error(request, error.message)
        else:
            messages.success(request, _(
                "Kit %(old)s is replaced: give kit %(new)s to %(participant)s.") % {
                "old": replacement.old_slot.kit_code, "new": replacement.new_slot.kit_code,
                "participant": replacement.participant.code})
        return redirect("supply:replace")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "supply/replace.html", {
        "actor": actor, "kit_code": request.GET.get("kit", "")[:CODE_MAX],
        "reasons": REASON_LABELS})


# the reasons a site may give, in the reader's language
REASON_LABELS = (("damaged", gettext_lazy("Damaged")), ("expired", gettext_lazy("Expired")),
                 ("post_thaw_expired", gettext_lazy("Past its post-thaw window")),
                 ("quarantined", gettext_lazy("Held in quarantine")))
