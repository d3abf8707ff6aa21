"""Registry search: SQLite FTS5 and PostgreSQL full text, filters and pages, page and command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from registry_seed_page import html_text
from registry_testdata import SEARCH_CASES, SEARCH_CORPUS

from trialdesk.commands.registry import command
from trialdesk.standards.ctgov import Study as CtgovStudy
from trialdesk.web.registry.models import Study
from trialdesk.web.registry.search import SearchParams, fts5_query, search_studies
from trialdesk.web.registry.store import Incoming, store_studies

PROBE = Path(__file__).with_name("registry_pg_probe.py")


@pytest.fixture
def corpus(db) -> None:
    Study.objects.all().delete()
    store_studies([Incoming(CtgovStudy.model_validate(doc), "test") for doc in SEARCH_CORPUS])


@pytest.mark.parametrize(("params", "expected"), SEARCH_CASES)
def test_sqlite_full_text_search_and_filters(corpus, params: dict, expected: list[str]) -> None:
    page = search_studies(SearchParams(**params))
    assert [s.nct_id for s in page.studies] == expected
    assert page.total == len(expected)


def test_updates_and_deletes_reach_the_full_text_index(corpus) -> None:
    study = Study.objects.get(nct_id="NCT90000003")
    study.title_text = "Vitamin K for Influenza"
    study.save()
    assert search_studies(SearchParams(q="vitamin k")).total == 1
    study.delete()
    assert search_studies(SearchParams(q="influenza")).total == 0


def test_pages_split_the_results(corpus) -> None:
    first = search_studies(SearchParams(q="sepsis", per_page=10))
    last = search_studies(SearchParams(q="sepsis", per_page=10, page=3))
    assert (first.total, first.pages, len(first.studies), len(last.studies)) == (25, 3, 10, 5)
    assert first.has_next and not last.has_next and last.has_previous
    everything = {s.nct_id for p in (1, 2, 3)
                  for s in search_studies(SearchParams(q="sepsis", per_page=10, page=p)).studies}
    assert len(everything) == 25


def test_fts5_query_quotes_every_word() -> None:
    assert fts5_query('covid-19 "ards" OR (x*') == '"covid" "19" "ards" "OR" "x"'
    assert fts5_query("***") == ""


def test_search_page_lists_results_with_filters_and_page_links(corpus, client) -> None:
    response = client.get("/registry", {"q": "sepsis", "status": "COMPLETED"})
    assert response.status_code == 200
    text = html_text(response.content.decode())
    assert "25 trials found" in text
    assert "Completed NCT91000000 - Sepsis cohort 0" in text
    assert "Page 1 of 2" in text
    assert 'href="?q=sepsis&amp;status=COMPLETED&amp;page=2"' in response.content.decode()
    second = html_text(client.get("/registry", {"q": "sepsis", "status": "COMPLETED",
                                                "page": 2}).content.decode())
    assert "Page 2 of 2" in second


def test_search_page_rejects_an_unknown_filter_value(corpus, client) -> None:
    response = client.get("/registry", {"status": "ONGOING"})
    assert response.status_code == 400
    assert "Status: Select a valid choice" in html_text(response.content.decode())


def test_search_command_prints_json(corpus) -> None:
    result = CliRunner().invoke(command, ["search", "pneumonia", "--status", "RECRUITING",
                                          "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"total": 1, "page": 1, "pages": 1, "results": [{
        "nct_id": "NCT90000001", "title": "Tocilizumab in Severe Pneumonia",
        "status": "RECRUITING", "phases": ["PHASE3"]}]}
    bad = CliRunner().invoke(command, ["search", "--phase", "PHASE5"])
    assert bad.exit_code == 2


@pytest.mark.postgres
def test_postgresql_full_text_search_gives_the_same_answers(postgres_url: str) -> None:
    cases = [{"params": params, "expected": expected} for params, expected in SEARCH_CASES]
    result = subprocess.run(
        [sys.executable, str(PROBE), postgres_url], input=json.dumps(cases),
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert answers["vendor"] == "postgresql"
    assert answers["seeded"] == 21  # the migration seeded the default trial and its 20 related
    assert answers["found"] == [case["expected"] for case in cases]
    assert answers["record_status"] == 200


def test_a_page_past_the_last_still_reports_the_total(corpus) -> None:
    beyond = search_studies(SearchParams(q="sepsis", per_page=10, page=9))
    assert (beyond.studies, beyond.total, beyond.pages) == ([], 25, 3)
