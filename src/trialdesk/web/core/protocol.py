"""The protocol the server runs, loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings

from trialdesk.blinding import BlindingPolicy
from trialdesk.protocol import Protocol, load_protocol
from trialdesk.protocol.confidential import confidential_beside


def confidential_file() -> Path | None:
    """Return the protocol's confidential randomization file beside the seed in the data
    directory (``randomization.confidential.toml``), or None when there is none."""
    folder = getattr(settings, "DATA_DIR", None)
    return confidential_beside(Path(folder)) if folder else None


@cache
def get_protocol() -> Protocol:
    """Return the protocol named by ``TRIALDESK_PROTOCOL`` (default: the bundled NCT04390152),
    completed by the confidential randomization file of the data directory, if any."""
    return load_protocol(settings.TRIALDESK_PROTOCOL or None, confidential=confidential_file())


@cache
def get_policy() -> BlindingPolicy:
    """Return the blinding policy of the protocol."""
    return BlindingPolicy(get_protocol())
