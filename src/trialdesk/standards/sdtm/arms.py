"""The arm a dataset carries for one participant, by the export's allocation.

- "real": ARMCD the protocol's arm code in capitals, ARM its label;
- "dummy": ARMCD ``DUMMY1``/``DUMMY2``..., ARM "DUMMY ALLOCATION GROUP 1 (NOT THE TRIAL'S ARMS)":
  the dummy allocation's group, never a real arm's code or label, so that no reader mistakes it;
- "none": empty, with ARMNRS saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_DISCLOSED = "ALLOCATION NOT DISCLOSED (BLINDED)"


@dataclass(frozen=True)
class ArmCell:
    code: str
    label: str
    dummy: bool = False

    @classmethod
    def real(cls, arm_code: str, arm_label: str) -> ArmCell:
        return cls(arm_code.upper()[:8], arm_label)

    @classmethod
    def dummy_group(cls, group: int) -> ArmCell:
        return cls(f"DUMMY{group}", f"DUMMY ALLOCATION GROUP {group} (NOT THE TRIAL'S ARMS)",
                   dummy=True)
