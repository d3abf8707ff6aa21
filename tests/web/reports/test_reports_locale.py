"""The report's numbers, dates and time as the reader's language and zone write them, as the DSMB
documents and the other pages do (Spanish: 0,250 and 07/06/2020; issue 19); the file's name stays
ISO."""

from __future__ import annotations

import html
import re

from login import signed_in_client
from reports_testkit import build_trial, generated

from trialdesk.web.core.timezones import user_zone

ISO_DATE = re.compile(r"\b\d{4}-\d\d-\d\d\b")
WHEN = re.compile(r"(\d\d)/(\d\d)/(\d{4}) \d\d:\d\d:\d\d ([+-]\d\d:\d\d)")


def _cells(body: str) -> list[str]:
    return [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", body, re.S)]


def _computed_at(body: str) -> str:
    return html.unescape(re.search(r'<p class="muted">((?:Trial|Ensayo) .*?)</p>', body,
                                   re.S).group(1))


def _offset(user: object) -> str:
    from trialdesk.web.core import clock

    offset = clock.now().astimezone(user_zone(user)).strftime("%z")
    return f"{offset[:3]}:{offset[3:]}"


def test_the_report_writes_numbers_dates_and_time_as_the_readers_language(trial):
    build_trial(trial)
    analyst = trial.users["analyst"]
    for language, decimal, other in (("es", ",", "."), ("en", ".", ",")):
        client = signed_in_client(analyst, language)
        generated(client)  # the report's button pressed, its task run
        for path in ("/reports/", "/reports/download/"):
            body = client.get(path).content.decode()
            cells = _cells(body)
            assert any(re.search(rf"\d{re.escape(decimal)}\d", cell) for cell in cells), (
                language, path, cells[:8])
            # a decimal written the other language's way is no cell's (a count is no decimal)
            assert not [cell for cell in cells if re.search(rf"\d{re.escape(other)}\d", cell)]
            assert not [cell for cell in cells if ISO_DATE.search(cell)], (language, path)
            enrollment = re.search(r'<section id="enrollment">(.*?)</section>', body, re.S)
            assert re.search(r"<td>\d\d/\d\d/\d{4}</td>", enrollment.group(1)), (language, path)
            # the time in the reader's zone, its offset beside it
            when = WHEN.search(_computed_at(body))
            assert when and when.group(4) == _offset(analyst), _computed_at(body)
            assert " UTC" not in _computed_at(body)
    # Spanish writes the day first, English the month
    spanish = signed_in_client(analyst, "es").get("/reports/").content.decode()
    english = signed_in_client(analyst, "en").get("/reports/").content.decode()
    day_es = WHEN.search(_computed_at(spanish))
    day_en = WHEN.search(_computed_at(english))
    assert (day_es.group(1), day_es.group(2)) == (day_en.group(2), day_en.group(1))


def test_the_reports_file_name_stays_iso(trial):
    build_trial(trial, per_site=2)
    client = signed_in_client(trial.users["analyst"], "es")
    generated(client)
    download = client.get("/reports/download/")
    assert re.search(r'-analysis-report-\d{4}-\d\d-\d\d\.html"$', download["Content-Disposition"])


def test_a_p_value_below_the_smallest_shown_reads_in_the_language():
    from django.utils import translation

    from trialdesk.web.reports.sections import interval, num, p_value

    with translation.override("es"):
        assert (num(0.25, 3), p_value(0.00001), p_value(0.0312)) == ("0,250", "< 0,0001",
                                                                    "0,0312")
        assert interval(1.5, 2.25) == "1,50 – 2,25" and num(None) == "–"
    with translation.override("en"):
        assert (num(0.25, 3), p_value(0.00001), interval(1.5, 2.25)) == (
            "0.250", "< 0.0001", "1.50 – 2.25")
