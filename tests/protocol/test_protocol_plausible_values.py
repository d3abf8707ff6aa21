"""The core's rules for plausible values: a date window and whole numbers (issue 12, finding 7).

A date must lie between the protocol's earliest date (its ``earliest_data_date``, else the registry
start date) and today; a field the protocol shows with no decimals (PaO2, ``decimals = 0``) or
typed ``integer`` refuses 70.4 and takes 70.0 as 70.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from trialdesk.protocol import load_protocol
from trialdesk.protocol.validation import (
    PLAUSIBLE_EARLIEST,
    date_window_rule,
    validate_form,
)

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def protocol():
    return load_protocol()


def _problems(result) -> dict[str, tuple[str, str]]:
    return {p.field: (p.rule, p.message) for p in result.errors}


def test_the_window_rule_names_its_bounds():
    earliest = dt.date(2020, 1, 13)
    assert date_window_rule(dt.date(1, 1, 1), earliest, TODAY) == "must not be before 2020-01-13"
    assert date_window_rule(dt.date(2024, 6, 2), earliest, TODAY) == "must not be in the future"
    assert date_window_rule(earliest, earliest, TODAY) is None
    assert date_window_rule(TODAY, earliest, TODAY) is None


def test_the_earliest_date_is_the_registry_start_date_unless_the_protocol_sets_one(protocol):
    assert protocol.registry.start_date == "2020-01-13"
    assert protocol.earliest_date() == dt.date(2020, 1, 13)
    earlier = protocol.model_copy(update={"earliest_data_date": dt.date(2015, 3, 1)})
    assert earlier.earliest_date() == dt.date(2015, 3, 1)


@pytest.mark.parametrize(("start", "first_day"), [("2020", dt.date(2020, 1, 1)),
                                                  ("2020-04", dt.date(2020, 4, 1))])
def test_a_partial_registry_start_date_counts_from_its_first_day(protocol, start, first_day):
    registry = protocol.registry.model_copy(update={"start_date": start})
    assert protocol.model_copy(update={"registry": registry}).earliest_date() == first_day


def test_a_protocol_file_may_set_its_earliest_data_date(tmp_path):
    text = (FIXTURES / "minimal.toml").read_text(encoding="utf-8")
    path = tmp_path / "earliest.toml"
    path.write_text("earliest_data_date = 2010-05-01\n" + text, encoding="utf-8")
    assert load_protocol(path).earliest_date() == dt.date(2010, 5, 1)


@pytest.mark.parametrize("raw", ["0001-01-01", "1899-12-31"])
def test_a_form_date_before_any_plausible_date_is_refused(protocol, raw):
    result = validate_form(protocol.form("end_of_study"), {"death_date": raw}, today=TODAY)
    assert _problems(result)["death_date"] == ("date_window",
                                               f"must not be before {PLAUSIBLE_EARLIEST}")
    assert "death_date" not in result.values


def test_a_form_date_is_checked_against_the_earliest_date_given(protocol):
    form = protocol.form("end_of_study")
    result = validate_form(form, {"death_date": "2019-12-31"},
                           earliest_date=protocol.earliest_date(), today=TODAY)
    assert _problems(result)["death_date"] == ("date_window", "must not be before 2020-01-13")
    assert validate_form(form, {"death_date": "2020-01-13"},
                         earliest_date=protocol.earliest_date(), today=TODAY).ok


def test_a_date_of_history_may_precede_the_trial_but_not_any_plausible_date(protocol):
    """A concomitant medication started years before the trial is data; a death is not."""
    form = next(f for f in protocol.forms if any(x.code == "cm_start_date" for x in f.fields))
    assert form.field("cm_start_date").history and not form.field("cm_stop_date").history
    histories = {f.code for each in protocol.forms for f in each.fields if f.history}
    # a ventilation may have begun before the trial opened (the first patients enrolled)
    assert histories == {"cm_start_date", "ventilation_start"}
    window = {"earliest_date": protocol.earliest_date(), "today": TODAY}
    assert "cm_start_date" in validate_form(form, {"cm_start_date": "2015-06-01"},
                                            **window).values
    assert _problems(validate_form(form, {"cm_start_date": "1899-12-31"}, **window))[
        "cm_start_date"] == ("date_window", f"must not be before {PLAUSIBLE_EARLIEST}")
    assert _problems(validate_form(form, {"cm_stop_date": "2015-06-01"}, **window))[
        "cm_stop_date"] == ("date_window", "must not be before 2020-01-13")


def test_only_a_date_field_records_history(protocol):
    from trialdesk.protocol.capture import FormField

    with pytest.raises(ValueError, match="history marks a date field"):
        FormField(code="weight", label={"en": "Weight"}, type="integer", history=True)


def test_a_form_date_in_the_future_is_refused(protocol):
    result = validate_form(protocol.form("end_of_study"), {"death_date": "2024-06-02"},
                           today=TODAY)
    assert _problems(result)["death_date"] == ("date_window", "must not be in the future")


def test_a_date_and_time_is_checked_by_its_date(protocol):
    form = next(f for f in protocol.forms if any(x.code == "infusion_start" for x in f.fields))
    result = validate_form(form, {"infusion_start": "0001-01-01T08:00"}, today=TODAY)
    assert _problems(result)["infusion_start"][0] == "date_window"


@pytest.mark.parametrize("raw", [70.4, "70.4", "70,4"])
def test_a_decimal_in_a_field_shown_without_decimals_is_refused(protocol, raw):
    assert protocol.form("respiratory").field("pao2").decimals == 0
    result = validate_form(protocol.form("respiratory"), {"pao2": raw})
    rule, message = _problems(result)["pao2"]
    assert rule == "type" and message.startswith("expected a whole number")


@pytest.mark.parametrize("raw", [70, 70.0, "70", "70.0"])
def test_a_whole_number_in_a_field_shown_without_decimals_is_accepted(protocol, raw):
    result = validate_form(protocol.form("respiratory"), {"pao2": raw})
    assert "pao2" not in _problems(result)
    assert result.values["pao2"] == 70


def test_a_field_with_decimals_keeps_them(protocol):
    result = validate_form(protocol.form("respiratory"), {"fio2": 0.55})
    assert result.values["fio2"] == 0.55
