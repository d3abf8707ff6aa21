"""Temperature logs from a shipment's or a freezer's data logger, and their excursions.

The log is a CSV file with a header naming the columns ``time`` (ISO 8601, e.g.
``2020-05-04T10:15:00Z``) and ``celsius``, in any order, other columns ignored; commas or
semicolons separate the columns (a semicolon file may write decimals with a comma, as Spanish
loggers do). Every bad cell is reported with its row (the file's line number, the header being
row 1) and its column, all at once, so the whole file can be corrected in one go.

Rows may come in any order (loggers that merge buffers do this); readings are returned in time
order. A time must carry its UTC offset (``Z``, ``+02:00``) unless the caller says which zone the
logger's clock was set to (``assume_timezone``, e.g. the site's): a time without one is refused
rather than guessed, since a guess off by the site's offset would move an excursion by hours.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

TIME, CELSIUS = "time", "celsius"


@dataclass(frozen=True)
class TemperatureReading:
    time: dt.datetime
    celsius: float


@dataclass(frozen=True)
class LogProblem:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.message}"


class TemperatureLogError(ValueError):
    """The log cannot be read; ``problems`` names each bad row and column."""

    def __init__(self, problems: list[LogProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def _delimiter(header_line: str) -> str:
    return ";" if ";" in header_line and "," not in header_line else ","


def _parse_time(text: str) -> dt.datetime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return dt.datetime.fromisoformat(value)


def _parse_celsius(text: str, decimal_comma: bool) -> float:
    value = text.strip()
    if decimal_comma:
        value = value.replace(",", ".")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


def read_temperature_log(text: str, assume_timezone: dt.tzinfo | None = None
                         ) -> list[TemperatureReading]:
    """Read a logger's CSV export into readings in time order; raise TemperatureLogError.

    ``assume_timezone``: the zone of times written without a UTC offset (refused without it).
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not any(line.strip() for line in lines):
        raise TemperatureLogError([LogProblem(1, None, "the file is empty (expected a header "
                                                       "'time,celsius' and readings)")])
    delimiter = _delimiter(lines[0])
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
    header = [name.strip().lower() for name in rows[0]]
    missing = [name for name in (TIME, CELSIUS) if name not in header]
    if missing:
        raise TemperatureLogError([LogProblem(1, name, "no such column in the header")
                                   for name in missing])
    time_at, celsius_at = header.index(TIME), header.index(CELSIUS)
    readings: list[TemperatureReading] = []
    problems: list[LogProblem] = []
    for row_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line (a trailing one, most often)
        cells = {TIME: _cell(row, time_at), CELSIUS: _cell(row, celsius_at)}
        time = celsius = None
        try:
            time = _parse_time(cells[TIME])
        except ValueError:
            problems.append(LogProblem(row_number, TIME,
                                       f"{cells[TIME]!r} is not an ISO 8601 date and time"))
        else:
            if time.utcoffset() is None and assume_timezone is None:
                problems.append(LogProblem(row_number, TIME, f"{cells[TIME]!r} has no UTC offset "
                                           "(write e.g. 2020-05-04T10:00:00Z or +02:00)"))
                time = None
            elif time.utcoffset() is None:
                time = time.replace(tzinfo=assume_timezone)
        try:
            celsius = _parse_celsius(cells[CELSIUS], decimal_comma=delimiter == ";")
        except ValueError:
            problems.append(LogProblem(row_number, CELSIUS,
                                       f"{cells[CELSIUS]!r} is not a temperature in degrees"))
        if time is not None and celsius is not None:
            readings.append(TemperatureReading(time, celsius))
    if not problems and not readings:
        problems.append(LogProblem(2, None, "the file has a header but no readings"))
    if problems:
        raise TemperatureLogError(problems)
    return sorted(readings, key=lambda reading: reading.time)


def _cell(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


@dataclass(frozen=True)
class Excursion:
    """Time out of range: from the first reading outside to the first reading back inside (or the
    log's last reading, ``resolved`` False), with the reading farthest outside (``worst``)."""

    start: dt.datetime
    end: dt.datetime
    worst: float
    resolved: bool = True

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


def find_excursions(readings: Sequence[TemperatureReading], low: float, high: float,
                    grace_minutes: int) -> list[Excursion]:
    """Return the times out of [low, high] (inclusive) longer than ``grace_minutes``.

    The time out is counted from the first reading outside to the first reading back inside: the
    logger cannot tell when in between the temperature crossed, and the product is given the less
    favourable reading. A log that ends outside the range is an excursion whatever its length: how
    long the product stayed out is unknown.
    """
    ordered = sorted(readings, key=lambda reading: reading.time)
    runs: list[Excursion] = []
    start: TemperatureReading | None = None
    worst = 0.0
    for reading in ordered:
        outside = reading.celsius < low or reading.celsius > high
        if outside:
            if start is None:
                start, worst = reading, reading.celsius
            elif _distance(reading.celsius, low, high) > _distance(worst, low, high):
                worst = reading.celsius
        elif start is not None:
            runs.append(Excursion(start.time, reading.time, worst))
            start = None
    if start is not None:
        runs.append(Excursion(start.time, ordered[-1].time, worst, resolved=False))
    return [run for run in runs if not run.resolved or run.minutes > grace_minutes]


def _distance(celsius: float, low: float, high: float) -> float:
    return max(low - celsius, celsius - high)
