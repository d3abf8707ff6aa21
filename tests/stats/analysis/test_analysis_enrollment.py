"""Enrollment over time: cumulative counts per site and overall, the plot, no groups involved."""

from __future__ import annotations

import datetime as dt
import json
import re

import matplotlib
import pandas as pd
import pytest

from trialdesk.stats.analysis.enrollment import enrollment_over_time

D = dt.date


def test_cumulative_counts_per_site_and_overall_by_calendar_day():
    frame = pd.DataFrame({
        "when": [pd.Timestamp("2026-01-05 09:00"), pd.Timestamp("2026-01-05 17:00"), D(2026, 1, 7),
                 D(2026, 1, 6), None],
        "site": ["CO-02", "CO-01", "CO-01", "CO-02", "CO-01"],
    })
    result = enrollment_over_time(frame, date="when", site="site", target=40)
    co1, co2 = result.sites
    assert (co1.label, co1.dates, co1.cumulative) == ("CO-01", [D(2026, 1, 5), D(2026, 1, 7)],
                                                      [1, 2])
    assert (co2.dates, co2.cumulative) == ([D(2026, 1, 5), D(2026, 1, 6)], [1, 2])
    assert result.overall.dates == [D(2026, 1, 5), D(2026, 1, 6), D(2026, 1, 7)]
    assert result.overall.cumulative == [2, 3, 4]
    assert (result.missing.rows_total, result.missing.rows_used) == (5, 4)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["overall"]["dates"][0] == "2026-01-05" and data["target"] == 40
    assert "CO-01" in result.to_text()


def test_enrollment_plot_is_written_with_site_labels(test_output_dir):
    frame = pd.DataFrame({"when": [D(2026, 1, d) for d in (3, 5, 9, 12, 20)],
                          "site": ["CO-01", "CO-02", "CO-01", "CO-03", "CO-01"]})
    path = enrollment_over_time(frame, date="when", site="site", target=6).plot(
        test_output_dir / "enrollment.svg")
    svg = path.read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg


SPANISH_MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov",
                  "dic"]


def _date_axis_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


@pytest.mark.parametrize(("days", "spanish", "english"), [
    ([D(2024, 1, 5), D(2024, 2, 20), D(2024, 3, 3), D(2024, 4, 2)],
     ["ene", "feb", "mar", "abr"], ["Jan", "Feb", "Mar", "Apr"]),  # months as ticks
    ([D(2024, 4, d) for d in (2, 9, 16, 23)], ["2024-abr"], ["Apr"]),  # a month as the offset
])
def test_the_date_axis_writes_months_by_the_names_given(tmp_path, days, spanish, english):
    """strftime writes months in English whatever the reader's language: a page gives the
    names (issue 19)."""
    frame = pd.DataFrame({"when": days, "site": ["CO-01"] * len(days)})
    result = enrollment_over_time(frame, date="when", site="site")
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        named = _date_axis_texts(result.plot(tmp_path / "es.svg",
                                             month_names=SPANISH_MONTHS).read_text())
        plain = _date_axis_texts(result.plot(tmp_path / "en.svg").read_text())
    for words in spanish:
        assert words in named, (words, named)
    for words in english:
        assert not [text for text in named if words in text], (words, named)
        assert [text for text in plain if words in text], (words, plain)
    assert not [text for text in named if "\ue000" in text]  # the marker never shows


def test_twelve_month_names_or_none():
    frame = pd.DataFrame({"when": [D(2024, 1, 3)], "site": ["CO-01"]})
    with pytest.raises(ValueError, match="12 month names"):
        enrollment_over_time(frame, date="when", site="site").plot("unused.svg",
                                                                   month_names=["ene"])


def test_no_one_randomized_gives_empty_curves():
    frame = pd.DataFrame({"when": pd.Series([], dtype=object), "site": pd.Series([], dtype=object)})
    result = enrollment_over_time(frame, date="when", site="site")
    assert result.sites == [] and result.overall.total == 0
