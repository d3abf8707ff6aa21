"""Temperature logs (issue 18): a logger's CSV read into readings in time order (rows in any
order, comma or semicolon files), every bad cell named by row and column, an empty file refused;
excursions against the protocol's range with its grace period, counted from the first reading
outside to the first reading back inside, and a log ending outside the range always one."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from trialdesk.supply.temperature import (
    TemperatureLogError,
    TemperatureReading,
    find_excursions,
    read_temperature_log,
)

UTC = dt.UTC
LOW, HIGH, GRACE = -196.0, -150.0, 10


def _at(minute: int) -> dt.datetime:
    return dt.datetime(2020, 5, 4, 10, 0, tzinfo=UTC) + dt.timedelta(minutes=minute)


def _log(*pairs: tuple[int, float]) -> list[TemperatureReading]:
    return [TemperatureReading(_at(minute), celsius) for minute, celsius in pairs]


def test_a_log_is_read_in_time_order_whatever_the_rows_order():
    text = ("time,celsius\n"
            "2020-05-04T10:10:00Z,-171.5\n"
            "2020-05-04T10:00:00Z,-170\n"
            "2020-05-04T10:05:00+00:00,-172.25\n")
    readings = read_temperature_log(text)
    assert [reading.time for reading in readings] == [_at(0), _at(5), _at(10)]
    assert [reading.celsius for reading in readings] == [-170.0, -172.25, -171.5]


def test_columns_in_any_order_extra_columns_blank_lines_and_a_byte_order_mark():
    text = ("\ufeffLogger,Celsius,Time\nA7,-160,2020-05-04T10:00:00+02:00\n\n"
            "A7,-161,2020-05-04T10:05:00+02:00\n")
    readings = read_temperature_log(text)
    assert [reading.celsius for reading in readings] == [-160.0, -161.0]
    assert readings[0].time == _at(0) - dt.timedelta(hours=2)


def test_a_semicolon_file_may_write_decimals_with_a_comma():
    readings = read_temperature_log("time;celsius\n2020-05-04T10:00:00Z;-160,5\n")
    assert readings == [TemperatureReading(_at(0), -160.5)]


def test_times_without_an_offset_are_refused_unless_the_zone_is_given():
    text = "time,celsius\n2020-05-04 10:05,-160\n2020-05-04T10:00Z,-161\n2020-05-04 10:10,-161\n"
    with pytest.raises(TemperatureLogError) as caught:
        read_temperature_log(text)
    assert [(p.row, p.column) for p in caught.value.problems] == [(2, "time"), (4, "time")]
    assert "'2020-05-04 10:05' has no UTC offset" in str(caught.value)
    bogota = ZoneInfo("America/Bogota")  # UTC-5
    readings = read_temperature_log(text, assume_timezone=bogota)
    assert [reading.time for reading in readings] == [_at(0), _at(5 + 5 * 60), _at(10 + 5 * 60)]


def test_every_bad_cell_is_named_by_row_and_column():
    text = ("time,celsius\n"
            "2020-05-04T10:00:00Z,-160\n"
            "yesterday,-161\n"                   # row 3: time
            "2020-05-04T10:10:00Z,cold\n"        # row 4: celsius
            "2020-05-04T10:15:00Z\n"             # row 5: celsius missing
            "2020-13-04T10:20:00Z,nan\n")        # row 6: both
    with pytest.raises(TemperatureLogError) as caught:
        read_temperature_log(text)
    where = [(problem.row, problem.column) for problem in caught.value.problems]
    assert where == [(3, "time"), (4, "celsius"), (5, "celsius"), (6, "time"), (6, "celsius")]
    message = str(caught.value)
    assert "row 3, column 'time': 'yesterday' is not an ISO 8601 date and time" in message
    assert "row 4, column 'celsius': 'cold' is not a temperature" in message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(("text", "row", "column", "words"), [
    ("", 1, None, "the file is empty"),
    ("\n  \n", 1, None, "the file is empty"),
    ("time,celsius\n", 2, None, "no readings"),
    ("time,temperature\n2020-05-04T10:00:00Z,-160\n", 1, "celsius", "no such column"),
    ("when,celsius\n2020-05-04T10:00:00Z,-160\n", 1, "time", "no such column"),
])
def test_an_empty_or_unusable_file_is_refused(text, row, column, words):
    with pytest.raises(TemperatureLogError) as caught:
        read_temperature_log(text)
    first = caught.value.problems[0]
    assert (first.row, first.column) == (row, column)
    assert words in first.message


def test_a_log_inside_the_range_has_no_excursion():
    readings = _log((0, -196), (5, -170), (10, -150))  # both ends inclusive
    assert find_excursions(readings, LOW, HIGH, GRACE) == []


def test_a_short_excursion_within_the_grace_period_is_tolerated():
    # out from minute 5 to minute 15: 10 minutes, not more than the grace
    readings = _log((0, -170), (5, -140), (10, -120), (15, -170))
    assert find_excursions(readings, LOW, HIGH, GRACE) == []
    # with 9 minutes' grace the same log is an excursion
    [excursion] = find_excursions(readings, LOW, HIGH, 9)
    assert (excursion.start, excursion.end, excursion.worst) == (_at(5), _at(15), -120.0)
    assert excursion.minutes == 10 and excursion.resolved


def test_an_excursion_longer_than_the_grace_is_found_with_its_worst_reading():
    readings = _log((0, -170), (5, -149), (10, -130), (15, -140), (20, -155), (25, -160))
    [excursion] = find_excursions(readings, LOW, HIGH, GRACE)
    assert (excursion.start, excursion.end, excursion.worst) == (_at(5), _at(20), -130.0)
    assert excursion.minutes == 15


def test_an_excursion_below_the_range_counts_too_and_separate_ones_are_separate():
    readings = _log((0, -170), (5, -200), (20, -199), (25, -170), (30, -145), (60, -170),
                    (70, -140), (75, -160))
    excursions = find_excursions(readings, LOW, HIGH, GRACE)
    assert [(e.start, e.end, e.worst) for e in excursions] == [
        (_at(5), _at(25), -200.0), (_at(30), _at(60), -145.0)]  # the 5-minute one is tolerated


def test_unsorted_readings_are_put_in_time_order_first():
    readings = _log((20, -155), (0, -170), (10, -130), (5, -149), (25, -160), (15, -140))
    [excursion] = find_excursions(readings, LOW, HIGH, GRACE)
    assert (excursion.start, excursion.end) == (_at(5), _at(20))


def test_a_log_that_ends_outside_the_range_is_always_an_excursion():
    [excursion] = find_excursions(_log((0, -170), (5, -160), (6, -120)), LOW, HIGH, GRACE)
    assert (excursion.start, excursion.end, excursion.resolved) == (_at(6), _at(6), False)
    [excursion] = find_excursions(_log((0, -140), (30, -130)), LOW, HIGH, GRACE)
    assert (excursion.start, excursion.end, excursion.worst) == (_at(0), _at(30), -130.0)
    assert not excursion.resolved


def test_no_readings_no_excursion():
    assert find_excursions([], LOW, HIGH, GRACE) == []


def test_a_read_log_feeds_the_excursion_finder():
    text = "time,celsius\n" + "\n".join(
        f"2020-05-04T10:{minute:02d}:00Z,{celsius}"
        for minute, celsius in [(0, -170), (45, -160), (5, -148), (25, -152), (15, -147)])
    [excursion] = find_excursions(read_temperature_log(text), LOW, HIGH, GRACE)
    assert (excursion.start, excursion.end, excursion.worst) == (_at(5), _at(25), -147.0)
