"""A small trial amended as the amendment acceptance test amends it (issue 17), plus a log form the
amendment adds, with data entered before and after: what the export tests of amended trials read.

Participant A (CO-01) has vital signs on day 0 under version 1, then, once CO-01 approved the
amendment, vital signs on day 7 and on the day-21 visit the amendment adds, with the new field, and
an entry of the new form under version 2.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path

from enrollment import randomize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "amendments"))
from amendment_kit import AMENDMENTS, NEW_FIELD, NEW_VISIT, amend, amended_text, base_text

NEW_FORM = "prone_positioning"
NEW_FORM_FIELD = "prone_hours"
NEW_WEIGHT = 70.5
PRONE_HOURS = 16
VITALS = {"heart_rate": 90, "systolic_bp": 120, "diastolic_bp": 70, "temperature": 37.0}
_NEW_FORM = f'''[[forms]]
code = "{NEW_FORM}"
title = {{ en = "Prone positioning session", es = "Sesión de decúbito prono" }}
repeating = true
[[forms.fields]]
code = "prone_date"
label = {{ en = "Date", es = "Fecha" }}
type = "date"
required = true
[[forms.fields]]
code = "{NEW_FORM_FIELD}"
label = {{ en = "Hours prone", es = "Horas en prono" }}
type = "decimal"
unit = "h"
decimals = 1
range = {{ min = 0, max = 24 }}

'''


def amended_with_new_form() -> str:
    """The acceptance test's amendment (``amendment_kit.amended_text``) with a log form added,
    last (the protocol's assumptions name forms by their position)."""
    return amended_text(text=base_text() + "\n" + _NEW_FORM)


@dataclass(frozen=True)
class AmendedTrial:
    participant: str
    before: tuple[str, str]  # (visit, form) saved under version 1
    after: tuple[str, str]  # (visit, form) saved under version 2 with the new field


def _save(client, code: str, path: str, values: dict) -> None:
    response = client.put(f"/api/v1/participants/{code}/visits/{path}",
                          {"values": values, "complete": True})
    assert response.status_code == 201, (path, response.content)


def enter_amended_trial(trial) -> AmendedTrial:
    """Participant A's forms before and after the amendment, approved at CO-01 today."""
    site = trial.api("investigator-co-01")
    admin = trial.api("admin")
    code, _ = randomize(site, days_ago=22)
    _save(site, code, "day0/forms/vital_signs", VITALS)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    recorded = amend(admin, amended_with_new_form(), effective_date=today)
    assert recorded.status_code == 201, recorded.content
    approved = admin.post(f"{AMENDMENTS}/2/approvals", {"site": "CO-01", "approval_date": today})
    assert approved.status_code == 201, approved.content
    _save(site, code, "day7/forms/vital_signs", {**VITALS, NEW_FIELD: NEW_WEIGHT})
    _save(site, code, f"{NEW_VISIT}/forms/vital_signs", {**VITALS, NEW_FIELD: NEW_WEIGHT + 1})
    _save(site, code, f"log/forms/{NEW_FORM}", {"prone_date": today,
                                                NEW_FORM_FIELD: PRONE_HOURS})
    return AmendedTrial(code, ("day0", "vital_signs"), ("day7", "vital_signs"))
