"""ADaM ADSL and ADTTE frames from the analysis rows the web layer derives (``trialdesk
analyze`` reads the same columns from the CSV and from the XPT)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from trialdesk.standards.sdtm.frames import to_frame
from trialdesk.standards.sdtm.spec import ADSL, ADTTE


def adsl_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return to_frame(ADSL, rows)


def adtte_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return to_frame(ADTTE, rows)
