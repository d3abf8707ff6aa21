"""Builders of the amendment log's write operations (issue 17) for ``integrity_kit.BUILDERS``:
a first amendment recorded through the API where the operation needs one, and a valid request."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from integrity_kit import Scenarios, WriteRequest

AMENDMENTS = "/api/v1/amendments"
ADMIN = "admin"
PAO2 = "required = true\nrange = { min = 20, max = 700 }"


def _request(*args: Any, **kwargs: Any) -> WriteRequest:
    from integrity_kit import WriteRequest

    return WriteRequest(*args, **kwargs)


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def _protocol(max_pao2: int) -> str:
    from trialdesk.protocol import default_protocol_path

    text = default_protocol_path().read_text(encoding="utf-8")
    assert text.count(PAO2) == 1, "the bundled protocol's PaO2 range changed"
    return text.replace(PAO2, PAO2.replace("700", str(max_pao2)))


def _first_amendment(s: Scenarios) -> None:
    s.api(ADMIN).ok("POST", AMENDMENTS, {"toml_text": _protocol(650), "effective_date": _today(),
                                         "reason": "PaO2 above 650 mmHg is implausible"})


def _amend(s: Scenarios) -> WriteRequest:
    _first_amendment(s)  # version 1 is then recorded: this request appends one record
    reason = "PaO2 above 600 mmHg is implausible"
    return _request(ADMIN, "POST", AMENDMENTS,
                    {"toml_text": _protocol(600), "effective_date": _today(), "reason": reason},
                    ("amend_protocol",), reason=reason,
                    extra={"changes": {"number": {"old": 2, "new": 3}}})


def _approve(s: Scenarios) -> WriteRequest:
    _first_amendment(s)
    return _request(ADMIN, "POST", f"{AMENDMENTS}/2/approvals",
                    {"site": "CO-01", "approval_date": _today()}, ("record_site_approval",),
                    extra={"changes": {"site": {"old": None, "new": "CO-01"}}})


AMENDMENT_BUILDERS = {
    ("POST", AMENDMENTS): _amend,
    ("POST", AMENDMENTS + "/{number}/approvals"): _approve,
}
