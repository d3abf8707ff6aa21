"""Loading the generated allocation list into slots, with its commitment."""

from __future__ import annotations

from trialdesk.randomization import commit_list, generate_allocation_list, procedure_from_protocol
from trialdesk.web.core import clock
from trialdesk.web.core.actions import action
from trialdesk.web.core.actor import Actor
from trialdesk.web.core.audit import append_audit
from trialdesk.web.core.errors import Conflict
from trialdesk.web.core.models import Site
from trialdesk.web.core.protocol import get_protocol
from trialdesk.web.trials.actions.dummy import create_dummy_allocation
from trialdesk.web.trials.actions.dynamic import commit_dynamic_scheme, kits_per_arm_per_site
from trialdesk.web.trials.models import AllocationListRecord, AllocationSlot, StratumCursor


@action(None, refuse_when_locked=True)
def do_commit_allocation_list(
    *, actor: str, seed: bytes, slots_per_stratum: int | None = None
) -> AllocationListRecord:
    """Generate the protocol's list from ``seed``, store its slots and record the commitment.

    For a dynamic procedure (minimization) store the commitment of procedure and seed and the
    kit inventory instead (``slots_per_stratum`` is then the stock per arm and site).
    """
    if AllocationListRecord.objects.exists():
        raise Conflict("list_exists", "an allocation list is already loaded")
    create_dummy_allocation(actor)  # blinded analyses run on it until the final unblinding
    protocol = get_protocol()
    if procedure_from_protocol(protocol).dynamic:
        kits = kits_per_arm_per_site(protocol, slots_per_stratum)
        record = commit_dynamic_scheme(seed, kits)
        append_audit(
            actor=actor, action="commit_allocation_list", model="allocation_list",
            object_id=str(record.pk),
            changes={"commitment": {"old": None, "new": record.commitment},
                     "kits": {"old": None, "new": AllocationSlot.objects.count()}},
        )
        return record
    allocation_list = generate_allocation_list(protocol, seed, slots_per_stratum)
    commitment = commit_list(allocation_list)
    record = AllocationListRecord.objects.create(
        commitment=commitment.commitment, salt=commitment.salt,
        metadata=allocation_list.metadata(), created_at=clock.now(),
    )
    AllocationSlot.objects.bulk_create(
        AllocationSlot(
            allocation_list=record, sequence=row.sequence, stratum=row.stratum, arm=row.arm,
            kit_code=row.kit_code, block=row.block, block_size=row.block_size,
        )
        for row in allocation_list.rows
    )
    StratumCursor.objects.bulk_create(StratumCursor(stratum=s) for s in allocation_list.strata)
    append_audit(
        actor=actor, action="commit_allocation_list", model="allocation_list",
        object_id=str(record.pk),
        changes={"commitment": {"old": None, "new": commitment.commitment},
                 "slots": {"old": None, "new": len(allocation_list)}},
    )
    return record


@action(None)
def do_load_sites(*, actor: str) -> list[str]:
    """Create the protocol's sites that are not stored yet; return the codes created.

    For the server's operator (start-up, ``trialdesk users``); an administrator uses
    :func:`do_sync_sites`, the same body.
    """
    return _create_missing_sites(actor)


@action("manage_sites")
def do_sync_sites(actor: Actor) -> list[str]:
    """Create the protocol's sites that are not stored yet, as a trial administrator.

    One audit record per site created (under the administrator's name); none when every site is
    stored already. Return the codes created.
    """
    return _create_missing_sites(actor.username)


def _create_missing_sites(actor: str) -> list[str]:
    created = []
    for site in get_protocol().sites:
        _, new = Site.objects.get_or_create(code=site.code, defaults={"name": site.name})
        if new:
            created.append(site.code)
            append_audit(actor=actor, action="create_site", model="site", object_id=site.code,
                         changes={"name": {"old": None, "new": site.name}})
    return created
