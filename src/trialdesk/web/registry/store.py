"""Storing registry studies (keeping earlier versions) and the shipped seed.

The lower level of the registry's writes: it neither locks nor audits. At run time studies are
imported through :func:`trialdesk.web.registry.actions.do_import_studies`, which audits each
study this module reports as created or updated; the migrations seeding the default trial call
:func:`seed_registry` with their historical models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from trialdesk.protocol import Protocol
from trialdesk.standards.ctgov.models import Study as CtgovStudy
from trialdesk.standards.ctgov.writer import study_to_dict
from trialdesk.standards.inferred import InferredTerm
from trialdesk.standards.related import Term, study_terms
from trialdesk.standards.seed import seed_studies
from trialdesk.web.registry.models import Study, StudyTerm, StudyVersion

BATCH = 500


@dataclass(frozen=True)
class Incoming:
    """One study to store, with where it came from."""

    study: CtgovStudy
    source: str
    inferred: Sequence[InferredTerm] = ()
    listed_related: Sequence[str] = ()


@dataclass(frozen=True)
class StudyChange:
    """One study created or updated, as its audit record states it: ``{field: {old, new}}``."""

    nct_id: str
    changes: dict[str, dict[str, Any]]


@dataclass
class ImportSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    changes: list[StudyChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"created": len(self.created), "updated": len(self.updated),
                "unchanged": len(self.unchanged), "nct_ids": self.created + self.updated}

    def extend(self, other: ImportSummary) -> None:
        """Add a later batch's summary to this one."""
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.changes += other.changes


def last_update(document: dict[str, Any]) -> str | None:
    """The date ClinicalTrials.gov last posted (or, failing that, received) an update."""
    status = document.get("protocolSection", {}).get("statusModule", {})
    posted = status.get("lastUpdatePostDateStruct") or {}
    return posted.get("date") or status.get("lastUpdateSubmitDate")


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The document's changed modules as dotted paths (``protocolSection.statusModule``).

    Module level, not every leaf: it says what an update touched in a line of bounded length;
    the document it replaced is kept whole as a StudyVersion.
    """
    paths = []
    for section in sorted(set(old) | set(new)):
        before, after = old.get(section), new.get(section)
        if before == after:
            continue
        if isinstance(before, dict | None) and isinstance(after, dict | None):
            before, after = before or {}, after or {}
            paths += [f"{section}.{key}" for key in sorted(set(before) | set(after))
                      if before.get(key) != after.get(key)]
        else:
            paths.append(section)
    return paths


def _join(parts: Iterable[str | None]) -> str:
    return "\n".join(part for part in parts if part)


def study_columns(study: CtgovStudy, inferred: Sequence[InferredTerm] = ()) -> dict[str, Any]:
    """Return the columns a study is searched, filtered and ranked by (all derived from it)."""
    section = study.protocol_section
    ident, status = section.identification_module, section.status_module
    design = section.design_module
    description = section.description_module
    conditions = section.conditions_module
    arms = section.arms_interventions_module
    browse = study.derived_section.condition_browse_module if study.derived_section else None
    phases = design.phases if design else []
    return {
        "brief_title": ident.brief_title,
        "overall_status": status.overall_status,
        "phase_codes": "".join(f"|{phase}" for phase in phases) + "|" if phases else "",
        "study_type": (design.study_type or "") if design else "",
        "start_date": status.start_date_struct.date if status.start_date_struct else "",
        "document": study_to_dict(study),
        "inferred": [term.to_dict() for term in inferred],
        "title_text": _join([ident.brief_title, ident.official_title, ident.acronym]),
        "summary_text": _join([description.brief_summary, description.detailed_description])
        if description else "",
        "conditions_text": _join([
            *(conditions.conditions if conditions else []),
            *(conditions.keywords if conditions else []),
            *(mesh.term for mesh in (browse.meshes if browse else [])),
        ]),
        "interventions_text": _join(
            text for item in (arms.interventions if arms else [])
            for text in (item.name, *item.other_names, item.description)
        ),
    }


def rank_terms(study: CtgovStudy, inferred: Sequence[InferredTerm] = ()) -> dict[
        tuple[str, str], Term]:
    """Return the study's terms for the ranking by (kind, key); stated terms win over inferred."""
    return study_terms(study, inferred).keyed()


def _term_rows(row: Study, terms: dict[tuple[str, str], Term],
               term_model: type[StudyTerm]) -> list[StudyTerm]:
    return [term_model(study=row, kind=kind, key=key, term=term.term, inferred=term.inferred)
            for (kind, key), term in terms.items()]


def _has_own_mesh(study: CtgovStudy) -> bool:
    browse = study.derived_section.condition_browse_module if study.derived_section else None
    return bool(browse and browse.meshes)


@transaction.atomic
def store_studies(
    incoming: Sequence[Incoming],
    *,
    progress: Callable[[int], None] | None = None,
    study_model: type[Study] = Study,
    version_model: type[StudyVersion] = StudyVersion,
    term_model: type[StudyTerm] = StudyTerm,
) -> ImportSummary:
    """Create or update each study, all or nothing; the summary lists each change to audit.

    An NCT number already in the registry is updated when its document differs; the document it
    replaces is kept as a StudyVersion. Inferred terms of the earlier version are kept only while
    the new record brings no MeSH terms of its own.
    """
    summary = ImportSummary()
    now = timezone.now()
    for start in range(0, len(incoming), BATCH):
        chunk = incoming[start:start + BATCH]
        existing = {row.nct_id: row for row in
                    study_model.objects.filter(nct_id__in=[item.study.nct_id for item in chunk])}
        new_rows: dict[str, Study] = {}
        terms: dict[str, dict[tuple[str, str], Term]] = {}
        for item in chunk:
            nct_id = item.study.nct_id
            row = existing.get(nct_id) or new_rows.get(nct_id)
            inferred = list(item.inferred)
            if row is not None and not inferred and not _has_own_mesh(item.study):
                inferred = [InferredTerm(**term) for term in row.inferred]
            columns = study_columns(item.study, inferred)
            terms[nct_id] = rank_terms(item.study, inferred)
            if row is None:
                new_rows[nct_id] = study_model(
                    nct_id=nct_id, source=item.source, updated_at=now,
                    listed_related=list(item.listed_related), **columns,
                )
                summary.created.append(nct_id)
                continue
            if row.pk is None:  # the same NCT number twice in one import: the later one wins
                for name, value in columns.items():
                    setattr(row, name, value)
                continue
            if row.document == columns["document"]:
                summary.unchanged.append(nct_id)
                continue
            version_model.objects.create(study=row, version=row.version, document=row.document,
                                         source=row.source, replaced_at=now)
            change = {
                "version": {"old": row.version, "new": row.version + 1},
                "last_update": {"old": last_update(row.document),
                                "new": last_update(columns["document"])},
                "fields": {"old": None, "new": changed_fields(row.document, columns["document"])},
            }
            if row.source != item.source:
                change["source"] = {"old": row.source, "new": item.source}
            for name, value in columns.items():
                setattr(row, name, value)
            row.version += 1
            row.source = item.source
            row.updated_at = now
            if item.listed_related:
                row.listed_related = list(item.listed_related)
            row.save()
            term_model.objects.filter(study=row).delete()
            term_model.objects.bulk_create(_term_rows(row, terms[nct_id], term_model))
            summary.updated.append(nct_id)
            summary.changes.append(StudyChange(nct_id, change))
        created = study_model.objects.bulk_create(new_rows.values())
        summary.changes += [StudyChange(row.nct_id, {
            "version": {"old": None, "new": row.version},
            "last_update": {"old": None, "new": last_update(row.document)},
            "source": {"old": None, "new": row.source},
        }) for row in created]
        term_model.objects.bulk_create([
            term for row in created for term in _term_rows(row, terms[row.nct_id], term_model)
        ])
        if progress:
            progress(len(chunk))
    return summary


def seed_registry(protocol: Protocol, *, study_model: type[Study] = Study,
                  version_model: type[StudyVersion] = StudyVersion,
                  term_model: type[StudyTerm] = StudyTerm) -> ImportSummary:
    """Store the protocol's own record and the related trials its registry page lists."""
    seeds = seed_studies(protocol)
    listed = [trial.nct_id for trial in protocol.registry.related_trials]
    incoming = [
        Incoming(seed.study, seed.source, seed.inferred, listed if index == 0 else ())
        for index, seed in enumerate(seeds)
    ]
    return store_studies(incoming, study_model=study_model, version_model=version_model,
                         term_model=term_model)
