"""The coded groups a blinded analysis sees: arm -> "group 1", "group 2", keyed by the secret.

One place for the mapping, so that the API (``/api/v1/analysis/groups``) and the reports label a
participant alike; the key is derived from the server's secret and never leaves the server.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

from trialdesk.blinding import coded_arm_labels
from trialdesk.web.core.protocol import get_protocol


def coding_key() -> bytes:
    """Return the key of the arm -> coded group mapping (read per call: settings may change)."""
    return hmac.new(settings.SECRET_KEY.encode(), b"coded-arms", hashlib.sha256).digest()


def coded_group_labels() -> dict[str, str]:
    """Return arm code -> coded group label ("group 1", ...) for this installation."""
    arms = [arm.code for arm in get_protocol().design.arms]
    return coded_arm_labels(arms, coding_key())
