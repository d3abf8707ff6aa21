"""Arms shown to blinded analysts as coded groups ("group 1", "group 2") with the mapping hidden.

The mapping is a keyed permutation: whoever holds the key (the server's secret) can undo it at
unblinding, nobody else can tell which group is which from the labels or their order.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence


def coded_arm_labels(arms: Sequence[str], key: bytes, prefix: str = "group") -> dict[str, str]:
    """Return arm code -> coded label, in an order fixed by ``key`` and unrelated to ``arms``."""
    if len(set(arms)) != len(arms):
        raise ValueError("arm codes must be unique")
    order = sorted(arms, key=lambda arm: hmac.new(key, arm.encode(), hashlib.sha256).digest())
    return {arm: f"{prefix} {index}" for index, arm in enumerate(order, start=1)}


def mask_arm(arm: str, arms: Sequence[str], key: bytes) -> str:
    """Return the coded label of ``arm``."""
    return coded_arm_labels(arms, key)[arm]
