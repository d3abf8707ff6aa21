"""The one error data capture adds: a save the protocol's rules reject, naming every problem."""

from __future__ import annotations

from collections.abc import Sequence

from trialdesk.protocol.validation import FieldProblem


class FormRejected(Exception):
    """Nothing was stored: ``problems`` are the hard errors, or the warnings left unconfirmed."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = list(problems)

    def as_fields(self) -> list[dict[str, str]]:
        """Return the problems in the API's error shape (field, rule, message, severity)."""
        return [
            {"field": p.field, "rule": p.rule, "message": p.message, "severity": p.severity}
            for p in self.problems
        ]
