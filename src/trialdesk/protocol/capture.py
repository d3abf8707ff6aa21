"""What is collected: visits, forms, fields, and the checks on them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag, model_validator
from pydantic import Field as PydanticField

from trialdesk.protocol.base import Code, PermissionName, StrictModel
from trialdesk.protocol.derivations import VentilatorFreeDaysRule
from trialdesk.protocol.expressions import Expression
from trialdesk.protocol.reference_ranges import ReferenceRange
from trialdesk.protocol.text import LocalizedText

FieldType = Literal["integer", "decimal", "text", "date", "datetime", "choice", "yesno"]
NUMERIC_TYPES = ("integer", "decimal")


def _derivation_kind(value: Any) -> str:
    # a table names a rule; anything else is read (and its errors reported) as an expression
    return "rule" if isinstance(value, dict | VentilatorFreeDaysRule) else "expression"


Derivation = Annotated[
    Annotated[VentilatorFreeDaysRule, Tag("rule")] | Annotated[Expression, Tag("expression")],
    Discriminator(_derivation_kind),
]


class Range(StrictModel):
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is greater than max ({self.max:g})")
        return self

    def contains(self, value: float) -> bool:
        """Return True if ``value`` lies within the range (bounds included)."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)


class Choice(StrictModel):
    code: str
    label: LocalizedText


class FormField(StrictModel):
    code: Code
    label: LocalizedText
    type: FieldType
    unit: str | None = None
    required: bool = False
    range: Range | None = None
    soft_range: Range | None = None
    decimals: int | None = None
    choices: list[Choice] = PydanticField(default_factory=list)
    # an expression over this form's fields, or a named rule reading other forms
    # (protocol.derivations: ventilator-free days from the ventilation record)
    derived: Derivation | None = None
    help: LocalizedText | None = None
    # the assay's limits of quantification: a result beyond one is entered as "<5" / ">5000"
    # and stored censored with the limit (protocol.censored); lloq_rule: what an analysis
    # substitutes below the LLOQ (half: LLOQ/2, lod: the LLOQ, sqrt2: LLOQ/sqrt 2)
    lloq: float | None = PydanticField(default=None, gt=0)
    uloq: float | None = PydanticField(default=None, gt=0)
    lloq_rule: Literal["half", "lod", "sqrt2"] | None = None
    # a number typed beyond a limit: refused (enter "<LLOQ"), or kept with a warning to confirm
    # and an automatic query (an assay whose reported range the protocol does not fix)
    beyond_limit: Literal["refuse", "query"] = "refuse"
    # the normal range of healthy adults (a laboratory result; by sex where it differs), with
    # its published source beside it in the protocol file: the SDTM export's LBORNRLO/HI, LBNRIND
    reference_range: ReferenceRange | None = None
    # a kit code copied from the kit's label: stored as printed on the kit when it reads as one,
    # so that a look-alike typed (O for 0, I or L for 1) finds the kit
    kit_label: bool = False
    # a date of the participant's history (a medication started years ago): held to the
    # plausible window only, not to the protocol's earliest date of trial data
    history: bool = False

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> FormField:
        if self.type == "choice" and not self.choices:
            raise ValueError("a choice field needs at least one choice")
        if self.type != "choice" and self.choices:
            raise ValueError(f"only choice fields have choices, not {self.type} fields")
        if (self.range or self.soft_range) and self.type not in NUMERIC_TYPES:
            raise ValueError(f"ranges apply to integer and decimal fields, not {self.type} fields")
        if self.derived is not None and self.type not in NUMERIC_TYPES:
            raise ValueError("a derived field must be integer or decimal")
        limits = self.lloq is not None or self.uloq is not None
        if limits and (self.type not in NUMERIC_TYPES or self.derived is not None):
            raise ValueError("limits of quantification apply to entered integer and decimal "
                             "fields")
        if self.lloq is not None and self.uloq is not None and self.lloq >= self.uloq:
            raise ValueError(f"lloq ({self.lloq:g}) must be below uloq ({self.uloq:g})")
        if self.lloq_rule is not None and self.lloq is None:
            raise ValueError("lloq_rule needs an lloq")
        if self.reference_range is not None:
            if self.type not in NUMERIC_TYPES:
                raise ValueError("a reference range applies to integer and decimal fields, not "
                                 f"{self.type} fields")
            if self.reference_range.unit != (self.unit or ""):
                raise ValueError(f"the reference range's unit ({self.reference_range.unit!r}) "
                                 f"is not the field's ({self.unit!r}): no conversion is made")
        if self.kit_label and self.type != "text":
            raise ValueError(f"a kit code field is a text field, not a {self.type} field")
        if self.history and self.type not in ("date", "datetime"):
            raise ValueError(f"history marks a date field, not a {self.type} field")
        return self


    @property
    def substitution_rule(self) -> str:
        """The rule an analysis replaces a value below the LLOQ by (LLOQ/2 unless declared)."""
        return self.lloq_rule or "half"


class CrossFieldCheck(StrictModel):
    code: Code
    rule: Expression
    message: LocalizedText
    severity: Literal["error", "warning"] = "error"


class Form(StrictModel):
    code: Code
    title: LocalizedText
    repeating: bool = False
    # a permission needed to enter this form besides enter_forms (e.g. report_ae for the
    # adverse-event log), so that the protocol says who reports what
    permission: PermissionName | None = None
    fields: list[FormField]
    checks: list[CrossFieldCheck] = PydanticField(default_factory=list)

    def field(self, code: str) -> FormField:
        """Return the field with this code."""
        return next(field for field in self.fields if field.code == code)


class Visit(StrictModel):
    code: Code
    title: LocalizedText
    day: int
    window_before: int = PydanticField(default=0, ge=0)
    window_after: int = PydanticField(default=0, ge=0)
    forms: list[str]
    # forms of this visit shown prefilled with the screening record's values of the same field
    # codes, saved only when the user submits them (issue 16): screening data are not retyped
    prefill_from_screening: list[str] = PydanticField(default_factory=list)
    # forms still expected of a participant who died or was discontinued before this visit (the
    # end-of-study record: vital status, date of death); the visit's other forms are not
    closing_forms: list[str] = PydanticField(default_factory=list)

    @model_validator(mode="after")
    def _prefilled_forms_belong_to_the_visit(self) -> Visit:
        for name, codes in (("prefill_from_screening", self.prefill_from_screening),
                            ("closing_forms", self.closing_forms)):
            unknown = [code for code in codes if code not in self.forms]
            if unknown:
                raise ValueError(f"{name} names {', '.join(unknown)}, not a form of "
                                 f"visit {self.code!r}")
        return self
