"""The protocol the server runs, loaded once per process."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from trialdesk.blinding import BlindingPolicy
from trialdesk.protocol import Protocol, load_protocol


@cache
def get_protocol() -> Protocol:
    """Return the protocol named by ``TRIALDESK_PROTOCOL`` (default: the bundled NCT04390152)."""
    path = settings.TRIALDESK_PROTOCOL
    return load_protocol(path) if path else load_protocol()


@cache
def get_policy() -> BlindingPolicy:
    """Return the blinding policy of the protocol."""
    return BlindingPolicy(get_protocol())
