"""Reading a kit code a person typed, by the scheme of the loaded list.

A list made since issue 14 uses Crockford base32, where I and L are read as 1 and O as 0, so a
code typed with a look-alike finds its kit; a list made before keeps 0-9A-Z, where O and 0 are
different codes, and only case, spaces and hyphens are forgiven (``randomization.kit_codes``).
"""

from __future__ import annotations

from trialdesk.randomization.kit_codes import (
    CURRENT,
    METADATA_KEY,
    KitCodeScheme,
    format_kit_code,
    scheme_named,
)
from trialdesk.web.trials.models import AllocationListRecord


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
