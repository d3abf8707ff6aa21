"""Who reads what of the supply chain (issue 18). All of it is unblinded product data.

The supply manager and quality read every lot, shipment and site; a site's unblinded pharmacist
reads the shipments to and the stock of their own site, and prepares their site's kits. Blinded
roles read nothing here: they are told "not found" for a record and "forbidden" for a list.
"""

from __future__ import annotations

from django.db.models import QuerySet

from trialdesk.web.core.actor import Actor
from trialdesk.web.core.errors import NotFound
from trialdesk.web.supply.models import Lot, Shipment

MANAGE, RELEASE, PHARMACY = "manage_supply", "release_lots", "view_kit_arm"
READ_LOTS = (MANAGE, RELEASE)
READ_SHIPMENTS = (MANAGE, RELEASE, PHARMACY)
READ_STOCK = (MANAGE, PHARMACY)
RECEIVE = (MANAGE, "record_dispensing")


def access_lot(actor: Actor, code: str) -> Lot:
    """A lot by its code, for the supply manager and quality."""
    lot = Lot.objects.filter(code=code).first()
    if lot is None or not actor.can_any(READ_LOTS):
        raise NotFound(f"no lot {code}")
    return lot


def visible_shipments(actor: Actor) -> QuerySet[Shipment]:
    """Every shipment (supply manager, quality), or those to the pharmacist's own site."""
    shipments = Shipment.objects.select_related("destination").order_by("-pk")
    if not actor.can_any(READ_SHIPMENTS):
        return shipments.none()
    if actor.site is not None:
        return shipments.filter(destination__code=actor.site)
    return shipments


def access_shipment(actor: Actor, shipment_id: int) -> Shipment:
    shipment = visible_shipments(actor).filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound(f"no shipment {shipment_id}")
    return shipment


def stock_sites(actor: Actor, all_sites: list[str]) -> list[str]:
    """The sites whose stock the actor reads: all (supply manager), the own one (pharmacist)."""
    if not actor.can_any(READ_STOCK):
        return []
    return [actor.site] if actor.site is not None else all_sites
