"""Values the system derives from other forms, declared in the protocol by a named rule.

A field's ``derived`` is either an expression over its own form's fields (PaO2/FiO2) or one of
the named rules here, which read other forms (the ventilation record) that the data-capture layer
hands over in the evaluation context. Both are computed by the system and never typed.

Ventilator-free days to day 28 (Schoenfeld DA, Bernard GR; ARDS Network. Statistical evaluation
of ventilator-free days as an efficacy measure in clinical trials of treatments for acute
respiratory distress syndrome. Crit Care Med 2002;30(8):1772-7), counted in whole calendar days:

- study day 0 is the day of randomization; the window is days 0 to ``horizon - 1`` (28 days);
- a participant dead on or before day ``horizon`` has 0 (death competes with liberation);
- otherwise a day is ventilated when invasive ventilation ran at any time on it (an episode from
  its start day to its stop day, both included; an episode without a stop is ongoing and runs to
  the end of the window; an episode started before day 0 counts from day 0); a reintubation is a
  new episode, so the days between two episodes are free and the later episode's days count;
- ventilator-free days = ``horizon`` minus the ventilated days, so never ventilated = 28 and
  ventilation ongoing at day 28 (from day 0) = 0;
- a participant whose vital status at the horizon is unknown (lost to follow-up) has no value.

Whole days because a CRF records days, not hours: an extubation at 09:00 on day 7 makes day 7 a
ventilated day, as "on the ventilator at any time that day" would on paper.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field as PydanticField

from trialdesk.protocol.base import Code, StrictModel
from trialdesk.protocol.expressions import MissingValue

RANDOMIZATION_DATE = "randomization_date"


def form_context_key(form_code: str) -> str:
    """The evaluation context's key for the stored values of every entry of ``form_code``.

    A dot cannot appear in a field code, so this never shadows a field of the form."""
    return f"form.{form_code}"


@dataclass(frozen=True)
class Episode:
    """One period of ventilation: start and stop (None while ongoing), local date and time."""

    start: dt.datetime
    stop: dt.datetime | None = None


def ventilated_days(
    episodes: Iterable[Episode], randomization_date: dt.date, horizon: int = 28
) -> set[int]:
    """Return the study days (0 to horizon - 1) on which any episode ran."""
    days: set[int] = set()
    for episode in episodes:
        if episode.stop is not None and episode.stop < episode.start:
            raise ValueError(f"an episode stops ({episode.stop}) before it starts "
                             f"({episode.start})")
        first = (episode.start.date() - randomization_date).days
        last = horizon - 1 if episode.stop is None else (
            episode.stop.date() - randomization_date).days
        days.update(range(max(first, 0), min(last, horizon - 1) + 1))
    return days


def ventilator_free_days(
    episodes: Iterable[Episode],
    randomization_date: dt.date,
    *,
    dead: bool = False,
    death_date: dt.date | None = None,
    horizon: int = 28,
) -> int:
    """Ventilator-free days to ``horizon`` by the rule in this module's docstring.

    ``dead``: dead at the horizon (a death date after the horizon does not count); a death
    without a known date on or before the horizon still gives 0."""
    if dead and (death_date is None or (death_date - randomization_date).days <= horizon):
        return 0
    return horizon - len(ventilated_days(episodes, randomization_date, horizon))


def _datetime(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)


def _date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class VentilatorFreeDaysRule(StrictModel):
    """``derived = { rule = "ventilator_free_days", ... }``: the field names of the ventilation
    record (a repeating form) and of the field's own form that the rule reads."""

    rule: Literal["ventilator_free_days"]
    episodes: Code  # the repeating form of ventilation episodes
    start: Code
    stop: Code  # empty while the episode is ongoing
    mode: Code | None = None
    invasive: list[str] = PydanticField(default_factory=list)  # modes counted; empty: all
    status: Code  # this form's vital status at the horizon
    dead: str = "dead"
    alive: str = "alive"
    death_date: Code  # this form's date of death
    horizon: int = PydanticField(default=28, ge=1, le=366)
    reference: str = ("Schoenfeld DA, Bernard GR. Crit Care Med 2002;30(8):1772-7; whole "
                      "calendar days")

    @property
    def context_key(self) -> str:
        return form_context_key(self.episodes)

    @property
    def source(self) -> str:
        """How the rule is shown (where an expression shows its text)."""
        return f"{self.rule}({self.episodes})"

    def names(self) -> set[str]:
        """The own-form fields an expression would read: none is a number to compute with,
        so a named rule reports none (the protocol checks its references by themselves)."""
        return set()

    def episodes_of(self, entries: Iterable[Mapping[str, Any]]) -> list[Episode]:
        """The invasive episodes among the stored entries of the episode form (no start: none)."""
        found = []
        for entry in entries:
            start = _datetime(entry.get(self.start))
            if start is None:
                continue
            if self.mode is not None and self.invasive and entry.get(self.mode) not in \
                    self.invasive:
                continue
            found.append(Episode(start, _datetime(entry.get(self.stop))))
        return found

    def evaluate(self, values: Mapping[str, Any]) -> int:
        """Derive from the form's values plus the context (the randomization date and the
        episode entries under :attr:`context_key`); MissingValue when it cannot be known."""
        status = values.get(self.status)
        if status not in (self.dead, self.alive):
            raise MissingValue(self.status)
        randomized = _date(values.get(RANDOMIZATION_DATE))
        if randomized is None:
            raise MissingValue(RANDOMIZATION_DATE)
        if self.context_key not in values:
            raise MissingValue(self.context_key)
        try:
            episodes = self.episodes_of(values[self.context_key])
            death = _date(values.get(self.death_date))
            return ventilator_free_days(episodes, randomized, dead=status == self.dead,
                                        death_date=death, horizon=self.horizon)
        except ValueError as error:  # an unreadable or reversed episode: not derivable yet
            raise MissingValue(self.context_key) from error

    def __str__(self) -> str:
        return self.source
