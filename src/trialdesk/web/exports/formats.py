"""The export formats: a small registry each format adds itself to.

A format is a name, a label, the permissions a role needs to run it, and a ``write`` function
``write(context, folder, progress) -> [paths]`` that writes its files into ``folder``. The writer
reads the trial's data through the ORM and the :class:`ExportContext`; which allocation the files
carry (``context.allocation``: "real", "dummy" or "none") is decided by the framework
(``context.allocation_for``), never by a writer. ``progress(done, total)`` reports its advance.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from django.utils.translation import gettext_noop

from trialdesk.blinding import Permission

Allocation = Literal["real", "dummy", "none"]
Progress = Callable[[int, int], None]
# who may export at all: the roles that export blinded data, and the DSMB's unblinded statistician
EXPORT_PERMISSIONS: tuple[str, ...] = (str(Permission.BLINDED_EXPORT),
                                       str(Permission.UNBLINDED_REPORTS))


@dataclass(frozen=True)
class ExportContext:
    """What a writer is given besides the database: who asked, when, and which allocation.

    ``arm_of`` maps a randomized participant's code to the arm code of the allocation the files
    carry (the real arms, the dummy allocation's, or nothing at all for "none").
    """

    allocation: Allocation
    requested_by: str
    requested_at: dt.datetime
    arm_of: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def dummy(self) -> bool:
        return self.allocation == "dummy"


@dataclass(frozen=True)
class ExportFormat:
    name: str
    label: str
    write: Callable[[ExportContext, Path, Progress], list[Path]] | str
    allowed_roles: tuple[str, ...] = EXPORT_PERMISSIONS
    # a format that only makes sense with the real arms (results by arm) refuses otherwise
    needs_real_allocation: bool = False
    description: str = ""

    def writer(self) -> Callable[[ExportContext, Path, Progress], list[Path]]:
        """The write function (given as "module:function" so that the registry imports little)."""
        if callable(self.write):
            return self.write
        module, _, function = self.write.partition(":")
        return getattr(importlib.import_module(module), function)


EXPORT_FORMATS: dict[str, ExportFormat] = {}


def register(export_format: ExportFormat) -> ExportFormat:
    EXPORT_FORMATS[export_format.name] = export_format
    return export_format


register(ExportFormat(
    "sdtm", gettext_noop("CDISC SDTM (SAS transport v5 + define.xml 2.1)"),
    "trialdesk.web.exports.sdtm:write_sdtm",
    description="DM, SUPPDM, SV, DS, EX, AE, CM, VS, LB, their SUPP-- datasets for text over "
                "200 bytes, and the trial design datasets"))
register(ExportFormat(
    "adam", gettext_noop("CDISC ADaM (ADSL, ADTTE as SAS transport v5 and CSV)"),
    "trialdesk.web.exports.adam:write_adam",
    description="the subject-level and time-to-death analysis datasets"))
register(ExportFormat(
    "odm", gettext_noop("CDISC ODM 1.3.2 (metadata, clinical data, audit trail, signatures)"),
    "trialdesk.web.exports.open_formats:write_odm_export",
    description="the protocol's visits, forms and items, and every form's values with each "
                "change (who, when, why) and signature; validated against the ODM schema"))
register(ExportFormat(
    "csv", gettext_noop("CSV of every form with a REDCap-style data dictionary"),
    "trialdesk.web.exports.open_formats:write_csv_export",
    description="one CSV per form and data_dictionary.csv in REDCap's columns"))
register(ExportFormat(
    "fhir", gettext_noop("FHIR R4 bundle (ResearchStudy, ResearchSubject, Consent)"),
    "trialdesk.web.exports.open_formats:write_fhir_export",
    description="the study, and per participant a pseudonymous Patient, ResearchSubject and "
                "Consent"))
register(ExportFormat(
    "ctgov-results", gettext_noop("ClinicalTrials.gov results (resultsSection)"),
    "trialdesk.web.exports.ctgov_source:write_ctgov_results",
    needs_real_allocation=True,
    description="participant flow, baseline, outcome measures and adverse events from the "
                "final report; after the final unblinding only"))


def get_format(name: str) -> ExportFormat:
    """The format called ``name``; KeyError naming the known ones."""
    try:
        return EXPORT_FORMATS[name]
    except KeyError:
        raise KeyError(f"no export format {name!r}; known: {', '.join(EXPORT_FORMATS)}") from None


def describe() -> list[dict[str, Any]]:
    return [{"name": f.name, "label": f.label, "description": f.description,
             "needs_real_allocation": f.needs_real_allocation} for f in EXPORT_FORMATS.values()]
