"""Registry records: the ClinicalTrials.gov document as imported, plus columns to search and rank.

The document is the registry data and is served back unchanged. Terms inferred for the ranking live
in ``inferred``, apart from it. On SQLite the full-text index is an FTS5 table kept in step by
triggers; on PostgreSQL ``search_vector`` is filled by a trigger (both in migration 0001).
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class Study(models.Model):
    nct_id = models.CharField(max_length=11, unique=True)
    brief_title = models.TextField()
    overall_status = models.CharField(max_length=32, db_index=True)
    phase_codes = models.CharField(max_length=80, blank=True, db_index=True,
                                   help_text='"|PHASE1|PHASE2|": phase filter by substring')
    study_type = models.CharField(max_length=20, blank=True)
    start_date = models.CharField(max_length=10, blank=True)
    document = models.JSONField(help_text="the ClinicalTrials.gov API v2 study, as imported")
    inferred = models.JSONField(default=list, help_text="terms inferred by trialdesk, with rules")
    listed_related = models.JSONField(
        default=list, help_text="NCT numbers the study's registry page lists as related"
    )
    source = models.CharField(max_length=500)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()
    title_text = models.TextField(blank=True)
    summary_text = models.TextField(blank=True)
    conditions_text = models.TextField(blank=True)
    interventions_text = models.TextField(blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ("nct_id",)
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return self.nct_id


class StudyTerm(models.Model):
    """A term a study is ranked by (related trials), one row per study and (kind, key).

    Rows rather than a JSON column, so that ranking one study reads only the studies sharing a
    term with it, and term rarity is one indexed count.
    """

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="rank_terms")
    kind = models.CharField(max_length=10)
    key = models.CharField(max_length=300, help_text="the term as compared: case-folded")
    term = models.CharField(max_length=300)
    inferred = models.BooleanField(default=False)

    class Meta:
        indexes = (models.Index(fields=("key", "kind"), name="registry_term_key"),)
        constraints = (
            models.UniqueConstraint(fields=("study", "kind", "key"), name="registry_term_once"),
        )

    def __str__(self) -> str:
        return f"{self.kind}: {self.term}"


class StudyVersion(models.Model):
    """An earlier version of a study, kept when an import replaced it."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    document = models.JSONField()
    source = models.CharField(max_length=500)
    replaced_at = models.DateTimeField()

    class Meta:
        ordering = ("study", "version")
        constraints = (
            models.UniqueConstraint(fields=("study", "version"), name="registry_version_once"),
        )

    def __str__(self) -> str:
        return f"{self.study_id} v{self.version}"
