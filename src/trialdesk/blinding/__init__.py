"""Who may see which arm: the blinding policy as plain Python (no Django).

>>> from trialdesk.protocol import load_protocol
>>> policy = BlindingPolicy(load_protocol())
>>> policy.may_see_arm("pharmacist", viewer_site="CO-01", participant_site="CO-01")
True
>>> policy.may_see_arm("investigator", viewer_site="CO-01", participant_site="CO-01")
False
"""

from trialdesk.blinding.combinations import ConflictingRoles, check_role_combination
from trialdesk.blinding.leaks import arm_revealing_texts, find_leaks
from trialdesk.blinding.masking import coded_arm_labels, mask_arm
from trialdesk.blinding.permissions import ALL_PERMISSIONS, Permission, UnknownPermission
from trialdesk.blinding.policy import BlindingPolicy, UnknownRole

__all__ = [
    "ALL_PERMISSIONS", "BlindingPolicy", "ConflictingRoles", "Permission", "UnknownPermission",
    "UnknownRole", "arm_revealing_texts", "check_role_combination", "coded_arm_labels",
    "find_leaks", "mask_arm",
]
