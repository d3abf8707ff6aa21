"""Form values against the protocol: one test per validation kind, each naming field and rule."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trialdesk.protocol import load_protocol
from trialdesk.protocol.validation import validate_form


@pytest.fixture(scope="module")
def protocol():
    return load_protocol()


def rules(problems) -> set[tuple[str, str]]:
    return {(problem.field, problem.rule) for problem in problems}


def test_valid_respiratory_form_gets_derived_ratio(protocol) -> None:
    result = validate_form(
        protocol.form("respiratory"),
        {"pao2": "85", "fio2": "0.50", "peep": "10", "ventilation_mode": "imv"},
        complete=True,
    )
    assert result.ok and not result.warnings
    assert result.values["pao2_fio2"] == 170
    assert result.values["peep"] == 10.0


@pytest.mark.parametrize(
    ("field", "raw", "words"),
    [("heart_rate", "fast", "whole number"), ("heart_rate", "80.5", "whole number"),
     ("heart_rate", True, "yes/no"), ("temperature", "hot", "number")],
)
def test_type_errors_name_the_field(protocol, field, raw, words) -> None:
    result = validate_form(protocol.form("vital_signs"), {field: raw})
    assert (field, "type") in rules(result.errors)
    assert words in str(result.errors[0])
    assert field not in result.values


def test_required_only_when_marked_complete(protocol) -> None:
    form = protocol.form("vital_signs")
    assert validate_form(form, {"heart_rate": 80}).ok  # a draft may be partial
    result = validate_form(form, {"heart_rate": 80}, complete=True)
    assert ("systolic_bp", "required") in rules(result.errors)
    assert ("respiratory_rate", "required") not in rules(result.errors)  # optional field


def test_hard_range_rejects(protocol) -> None:
    result = validate_form(protocol.form("respiratory"), {"fio2": "1.5"})
    assert rules(result.errors) == {("fio2", "hard_range")}
    assert "0.21 to 1" in result.errors[0].message
    assert "fio2" not in result.values


def test_soft_range_warns_until_confirmed(protocol) -> None:
    form = protocol.form("vital_signs")
    result = validate_form(form, {"heart_rate": 170})
    assert result.ok
    assert rules(result.unconfirmed) == {("heart_rate", "soft_range")}
    assert result.values["heart_rate"] == 170  # the value is kept
    confirmed = validate_form(form, {"heart_rate": 170}, confirmed={"heart_rate"})
    assert confirmed.unconfirmed == []
    assert confirmed.warnings[0].confirmed


def test_derived_value_cannot_be_entered(protocol) -> None:
    result = validate_form(protocol.form("respiratory"), {"pao2_fio2": 150})
    assert rules(result.errors) == {("pao2_fio2", "derived")}


def test_cross_field_check_error(protocol) -> None:
    result = validate_form(
        protocol.form("vital_signs"), {"systolic_bp": 90, "diastolic_bp": 95}
    )
    assert ("diastolic_bp,systolic_bp", "check:diastolic_below_systolic") in rules(result.errors)


def test_cross_field_check_with_context(protocol) -> None:
    form = protocol.form("end_of_study")
    context = {"randomization_date": dt.date(2021, 5, 10)}
    bad = validate_form(form, {"death_date": "2021-05-01"}, context=context)
    assert ("death_date", "check:death_not_before_randomization") in rules(bad.errors)
    good = validate_form(form, {"death_date": "2021-05-12"}, context=context)
    assert good.ok


def test_warning_check_is_confirmable(protocol) -> None:
    form = protocol.form("respiratory")
    values = {"pao2": 90, "fio2": 0.6, "peep": 3, "ventilation_mode": "imv"}
    result = validate_form(form, values)
    assert ("peep,ventilation_mode", "check:peep_on_support") in rules(result.unconfirmed)
    confirmed = validate_form(form, values, confirmed={"peep", "peep_on_support"})
    assert confirmed.unconfirmed == []


def test_unknown_field_and_bad_choice(protocol) -> None:
    result = validate_form(protocol.form("respiratory"), {"ventilation_mode": "ecmo", "x": 1})
    assert rules(result.errors) == {("ventilation_mode", "type"), ("x", "unknown_field")}
    assert "imv, niv, cpap" in str(result.errors[0]) + str(result.errors[1])


def test_yesno_and_dates_are_parsed(protocol) -> None:
    result = validate_form(
        protocol.form("infusion"),
        {"kit_code": " K7Q2-X ", "infusion_reaction": "no", "infusion_start": "2021-05-11T10:00",
         "infusion_end": "2021-05-11T09:00"},
    )
    assert result.values["infusion_reaction"] is False
    assert result.values["kit_code"] == "K7Q2-X"
    assert ("infusion_end,infusion_start", "check:infusion_end_after_start") in rules(result.errors)


@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_fio2_is_accepted_exactly_within_its_hard_range(value: float) -> None:
    form = load_protocol().form("respiratory")
    result = validate_form(form, {"fio2": value})
    assert result.ok is (0.21 <= value <= 1.0)
