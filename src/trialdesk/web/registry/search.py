"""Searching the registry: full text (FTS5 on SQLite, tsvector on PostgreSQL), filters, pages."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q, QuerySet

from trialdesk.web.registry.models import Study

PER_PAGE = 20
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    condition: str = ""
    status: str = ""
    phase: str = ""
    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class SearchPage:
    studies: list[Study]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def fts5_query(text: str) -> str:
    """Return user text as an FTS5 query that cannot be a syntax error: every word quoted, ANDed."""
    return " ".join(f'"{word}"' for word in re.findall(r"\w+", text))


def _filtered(params: SearchParams) -> QuerySet[Study]:
    studies = Study.objects.all()
    if params.status:
        studies = studies.filter(overall_status=params.status)
    if params.phase:
        studies = studies.filter(phase_codes__contains=f"|{params.phase}|")
    if params.condition:
        studies = studies.filter(conditions_text__icontains=params.condition)
    return studies


def _has_filters(params: SearchParams) -> bool:
    return bool(params.status or params.phase or params.condition)


def _sqlite_text_search(params: SearchParams, offset: int) -> tuple[list[int], int]:
    """Return one page of matching ids, best first (bm25), and the number of matches."""
    # The full-text matches are materialized first: left to itself, SQLite pushes a
    # "rowid IN (filter)" constraint into FTS5, which then re-runs the match per row.
    # bm25 column weights (title, summary, conditions, interventions) as PostgreSQL's A/C/B/B.
    sql = (
        "WITH matches AS MATERIALIZED (SELECT rowid AS id, "
        "bm25(registry_study_fts, 4.0, 1.0, 2.0, 2.0) AS score FROM registry_study_fts "
        "WHERE registry_study_fts MATCH %s) "
        "SELECT id, count(*) OVER () FROM matches"
    )
    args: list[object] = [fts5_query(params.q)]
    if _has_filters(params):
        inner, inner_args = _filtered(params).values("id").query.sql_with_params()
        sql += f" WHERE id IN ({inner})"
        args += list(inner_args)
    sql += " ORDER BY score, id LIMIT %s OFFSET %s"
    with connection.cursor() as cursor:
        # Only fixed text and Django's own SQL for the filters are interpolated; values are bound.
        cursor.execute(sql, [*args, params.per_page, offset])
        rows = cursor.fetchall()
    if not rows and offset:  # past the last page: still report how many there are
        return [], _sqlite_count(params)
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


def _sqlite_count(params: SearchParams) -> int:
    page = _sqlite_text_search(SearchParams(params.q, params.condition, params.status,
                                            params.phase, 1, 1), 0)
    return page[1]


def search_studies(params: SearchParams) -> SearchPage:
    """Return the page of studies matching ``params``; with text, best matches first."""
    per_page = min(max(params.per_page, 1), MAX_PAGE_SIZE)
    params = SearchParams(params.q.strip(), params.condition.strip(), params.status,
                          params.phase, max(params.page, 1), per_page)
    offset = (params.page - 1) * per_page
    if not re.search(r"\w", params.q):
        studies = _filtered(params)
        total = studies.count()
        return SearchPage(list(studies.order_by("nct_id")[offset:offset + per_page]), total,
                          params.page, per_page)
    if connection.vendor == "sqlite":
        ids, total = _sqlite_text_search(params, offset)
        by_id = Study.objects.in_bulk(ids)
        return SearchPage([by_id[i] for i in ids if i in by_id], total, params.page, per_page)
    if connection.vendor == "postgresql":
        query = SearchQuery(params.q, search_type="websearch", config="english")
        studies = (_filtered(params).filter(search_vector=query)
                   .annotate(rank=SearchRank(F("search_vector"), query))
                   .order_by("-rank", "nct_id"))
    else:  # other databases: plain substring search, correct but unranked
        words = re.findall(r"\w+", params.q)
        condition = Q()
        for word in words:
            condition &= (Q(title_text__icontains=word) | Q(summary_text__icontains=word)
                          | Q(conditions_text__icontains=word)
                          | Q(interventions_text__icontains=word))
        studies = _filtered(params).filter(condition).order_by("nct_id")
    total = studies.count()
    return SearchPage(list(studies[offset:offset + per_page]), total, params.page, per_page)
