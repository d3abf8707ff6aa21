"""Reading a kit code a person typed, by the scheme of the loaded list.

A list made since issue 14 uses Crockford base32, where I and L are read as 1 and O as 0, so a
code typed with a look-alike finds its kit; a list made before keeps 0-9A-Z, where O and 0 are
different codes, and only case, spaces and hyphens are forgiven (``randomization.kit_codes``).
"""

from __future__ import annotations

from collections.abc import Callable

from trialdesk.randomization.kit_codes import (
    CURRENT,
    METADATA_KEY,
    KitCodeScheme,
    format_kit_code,
    scheme_named,
)
from trialdesk.web.trials.models import (
    AllocationListRecord,
    AllocationSlot,
    Participant,
    Randomization,
)


def loaded_kit_code_scheme() -> KitCodeScheme:
    """Return the kit code scheme of the loaded list (the current one while none is loaded).

    Only one list is ever loaded. One that records no scheme predates issue 14: the old one.
    """
    metadata = AllocationListRecord.objects.values_list("metadata", flat=True).first()
    if metadata is None:
        return CURRENT
    return scheme_named(metadata.get(METADATA_KEY))


def typed_kit_code(typed: str) -> str:
    """Return the stored form of a typed kit code (``ABCD-EFGH``), read by the loaded list's scheme.

    Text that is no valid code is returned stripped, so a lookup by it finds nothing; nothing
    here depends on which kits exist, so an answer never tells whether a kit exists.
    """
    if CURRENT.is_valid(typed) and typed == format_kit_code(typed):
        # already a stored form without look-alikes: every scheme reads it as itself, so the
        # list need not be asked (a copied code, as the demo and most API clients send)
        return typed
    return loaded_kit_code_scheme().read(typed) or typed.strip()


# A participant is given the kit their randomization took, unless another app replaced it (the
# supply chain's kit replacement, issue 18: a damaged, expired or quarantined kit swapped for a
# usable one of the same arm at the site). That app registers, from its ``ready``, how to find a
# participant's latest replacement kit and whom a kit handed out as a replacement is for, so that
# trials imports no app.
ReplacementOf = Callable[[int], AllocationSlot | None]
HolderOf = Callable[[AllocationSlot], Participant | None]
_REPLACEMENTS: list[tuple[ReplacementOf, HolderOf]] = []


def register_kit_replacements(replacement_of: ReplacementOf, holder_of: HolderOf) -> None:
    """Add the lookups of an app that replaces kits (once): ``replacement_of(participant_id)``
    gives the kit now assigned in place of the randomization's (None: not replaced);
    ``holder_of(slot)`` the participant a replacement kit was given to (None: not one)."""
    if (replacement_of, holder_of) not in _REPLACEMENTS:
        _REPLACEMENTS.append((replacement_of, holder_of))


def replacement_kit(participant: Participant) -> AllocationSlot | None:
    """The kit that replaced the participant's randomized one (the latest), or None."""
    for replacement_of, _ in _REPLACEMENTS:
        replacement = replacement_of(participant.pk)
        if replacement is not None:
            return replacement
    return None


def assigned_kit(participant: Participant) -> AllocationSlot | None:
    """The kit to give the participant: the latest replacement, else the randomization's (None
    before randomization)."""
    replacement = replacement_kit(participant)
    if replacement is not None:
        return replacement
    randomization = Randomization.objects.select_related("slot").filter(
        participant=participant).first()
    return randomization.slot if randomization is not None else None


def assigned_kit_code(participant: Participant) -> str | None:
    """The code of ``assigned_kit`` (None before randomization)."""
    kit = assigned_kit(participant)
    return kit.kit_code if kit is not None else None


def kit_holder(slot: AllocationSlot) -> Participant | None:
    """The participant a used kit was given to: by randomization, or as a replacement."""
    randomization = Randomization.objects.select_related("participant__site").filter(
        slot=slot).first()
    if randomization is not None:
        return randomization.participant
    for _, holder_of in _REPLACEMENTS:
        holder = holder_of(slot)
        if holder is not None:
            return holder
    return None
