"""The forms of every recorded protocol version together, as the exports describe them (issue 17).

An amendment adds, removes or changes forms and fields, and each form entry keeps the version it
was captured under. An export holds the data of every version, so it describes the union: every
form and field any version had (a field removed later stays, with its data; one added later is
blank for the rows entered before), each with the versions it exists in.

Order: the first version's, each later addition placed after the item that precedes it in the
version that added it (a field appended to a form stays last). Definition: the latest version's
that holds the item (a changed range reads as the amendment made it; the versions say since when).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trialdesk.protocol.capture import Form, FormField
from trialdesk.protocol.schema import Protocol, Visit


@dataclass(frozen=True)
class ProtocolVersion:
    """A recorded version: the server's number (1, 2, ...) and its protocol."""

    number: int
    protocol: Protocol


@dataclass(frozen=True)
class VersionedForms:
    """Every form and field of the versions, with the numbers of the versions holding each."""

    forms: tuple[Form, ...]
    visits: tuple[Visit, ...]
    form_versions: dict[str, tuple[int, ...]]
    field_versions: dict[tuple[str, str], tuple[int, ...]]
    numbers: tuple[int, ...]

    def form(self, code: str) -> Form | None:
        """The union form ``code`` (None if no version has it)."""
        return next((form for form in self.forms if form.code == code), None)

    def versions_of(self, form: str, field: str | None = None) -> tuple[int, ...]:
        """The versions holding this form (``field`` None) or this field of it."""
        if field is None:
            return self.form_versions.get(form, ())
        return self.field_versions.get((form, field), ())

    @property
    def amended(self) -> bool:
        """True when more than one version is recorded."""
        return len(self.numbers) > 1


def _merged(orders: Iterable[Sequence[str]]) -> list[str]:
    """The codes of every list, in the first list's order, each later one after its predecessor
    in the list that brought it."""
    merged: list[str] = []
    for order in orders:
        for index, code in enumerate(order):
            if code in merged:
                continue
            before = next((order[i] for i in range(index - 1, -1, -1) if order[i] in merged),
                          None)
            merged.insert(merged.index(before) + 1 if before is not None else 0, code)
    return merged


def versioned_forms(versions: Sequence[ProtocolVersion]) -> VersionedForms:
    """The union of the forms and visits of ``versions`` (given oldest first)."""
    if not versions:
        raise ValueError("no protocol version to describe")
    ordered = sorted(versions, key=lambda version: version.number)
    form_versions: dict[str, list[int]] = {}
    field_versions: dict[tuple[str, str], list[int]] = {}
    latest_form: dict[str, Form] = {}
    latest_field: dict[tuple[str, str], FormField] = {}
    latest_visit: dict[str, Visit] = {}
    for version in ordered:
        for form in version.protocol.forms:
            form_versions.setdefault(form.code, []).append(version.number)
            latest_form[form.code] = form
            for field in form.fields:
                field_versions.setdefault((form.code, field.code), []).append(version.number)
                latest_field[(form.code, field.code)] = field
        for visit in version.protocol.visits:
            latest_visit[visit.code] = visit
    forms = []
    for code in _merged([form.code for form in v.protocol.forms] for v in ordered):
        fields = _merged([field.code for field in form.fields]
                         for v in ordered for form in v.protocol.forms if form.code == code)
        # copied, not validated again: a union form is a description, never a form to fill in
        forms.append(latest_form[code].model_copy(
            update={"fields": [latest_field[(code, field)] for field in fields]}))
    visits = [latest_visit[code]
              for code in _merged([visit.code for visit in v.protocol.visits] for v in ordered)]
    return VersionedForms(
        forms=tuple(forms), visits=tuple(visits),
        form_versions={code: tuple(numbers) for code, numbers in form_versions.items()},
        field_versions={key: tuple(numbers) for key, numbers in field_versions.items()},
        numbers=tuple(version.number for version in ordered))


def versions_text(numbers: Sequence[int]) -> str:
    """``1, 2`` as a note says it: "protocol versions 1, 2" (or "protocol version 2")."""
    label = "protocol version" if len(numbers) == 1 else "protocol versions"
    return f"{label} {', '.join(str(number) for number in numbers)}"
