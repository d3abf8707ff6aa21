"""A readable summary of a protocol for `trialdesk protocol show`."""

from __future__ import annotations

from trialdesk.protocol.monitoring_summary import monitoring_lines
from trialdesk.protocol.product_summary import product_lines
from trialdesk.protocol.registry import format_partial_date, format_phases, format_status
from trialdesk.protocol.schema import Protocol

# the summary's own words; the protocol's texts come in their language from the protocol
TEXT = {
    "en": {
        "form": "form", "log": "log", "visits": "Visits", "day": "day",
        "log_note": "· = log form, entered whenever it occurs",
        "confidential": "block sizes confidential", "sponsor": "sponsor", "start": "start",
        "completion": "completion", "arms": "Arms ({allocation}, target {target}):",
        "ratio": "ratio", "masking": "Masking", "randomization": "Randomization",
        "stratum": "stratum", "matrix": "Visit x form matrix:", "outcomes": "Outcomes:",
        "analysis": "analysis",
        "assumptions": "Assumptions ({count}; the registry page does not say):",
    },
    "es": {
        "form": "formulario", "log": "registro", "visits": "Visitas", "day": "día",
        "log_note": "· = formulario de registro, se ingresa cuando ocurre",
        "confidential": "tamaños de bloque confidenciales", "sponsor": "patrocinador",
        "start": "inicio", "completion": "finalización",
        "arms": "Brazos ({allocation}, meta {target}):", "ratio": "razón",
        "masking": "Enmascaramiento", "randomization": "Aleatorización",
        "stratum": "estrato", "matrix": "Matriz de visitas y formularios:",
        "outcomes": "Desenlaces:", "analysis": "análisis",
        "assumptions": "Supuestos ({count}; la página del registro no lo dice):",
    },
}
ALLOCATION = {"es": {"RANDOMIZED": "aleatorizada", "NON_RANDOMIZED": "no aleatorizada"}}
STATUS_ES = {"RECRUITING": "Reclutando", "NOT_YET_RECRUITING": "Aún sin reclutar",
             "ACTIVE_NOT_RECRUITING": "Activo, sin reclutar", "COMPLETED": "Completado",
             "TERMINATED": "Terminado", "WITHDRAWN": "Retirado", "SUSPENDED": "Suspendido",
             "ENROLLING_BY_INVITATION": "Inscripción por invitación", "UNKNOWN": "Desconocido"}
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
             "septiembre", "octubre", "noviembre", "diciembre")


class UnknownLanguage(ValueError):
    """A language the summary cannot be written in."""


def languages(protocol: Protocol) -> list[str]:
    """The languages the summary can be written in: the protocol's that the summary knows."""
    return [language for language in protocol.languages if language in TEXT]


def _words(language: str) -> dict[str, str]:
    if language not in TEXT:
        raise UnknownLanguage(f"unknown language {language!r}; available: {', '.join(TEXT)}")
    return TEXT[language]


def _date(value: str, language: str) -> str:
    if language != "es":
        return format_partial_date(value)
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    month = MONTHS_ES[parts[1] - 1]
    return f"{month} de {parts[0]}" if len(parts) == 2 else f"{parts[2]} de {month} de {parts[0]}"


def visit_form_matrix(protocol: Protocol, language: str = "en") -> str:
    """Return the visit x form matrix: one row per form, one column per visit, X where due."""
    words = _words(language)
    visits = protocol.visits
    header = [words["form"], *(visit.code for visit in visits)]
    rows = [header]
    for form in protocol.forms:
        if form.repeating:
            rows.append([f"{form.code} ({words['log']})", *("·" for _ in visits)])
            continue
        rows.append([form.code, *("X" if form.code in visit.forms else "" for visit in visits)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    days = ", ".join(
        f"{visit.code} = {words['day']} {visit.day} ({visit.title.text(language)}, "
        f"-{visit.window_before}/+{visit.window_after} d)"
        for visit in visits
    )
    return "\n".join([*lines, "", f"{words['visits']}: {days}", words["log_note"]])


def randomization_line(protocol: Protocol, language: str = "en") -> str:
    """Return the method, and "block sizes confidential" where there are block sizes.

    The summary is what sites and the public read: the block sizes are never in it (ICH E9), even
    for a protocol that keeps them in its own file; the allocation list's maker reads them there.
    """
    randomization = protocol.design.randomization
    line = randomization.method
    if randomization.block_sizes or randomization.method == "permuted-blocks":
        line += f", {_words(language)['confidential']}"
    return line


def summarize(protocol: Protocol, language: str = "en") -> str:
    """Return a multi-section text summary of ``protocol``."""
    words = _words(language)
    registry, design = protocol.registry, protocol.design
    out: list[str] = []
    out.append(f"{registry.nct_id}: {registry.brief_title.text(language)}")
    phases, status = format_phases(registry.phases), format_status(registry.overall_status)
    if language == "es":
        phases = phases.replace("Early Phase", "Fase temprana").replace("Phase", "Fase")
        status = STATUS_ES.get(registry.overall_status, status)
    out.append(
        f"{phases} · {status} · "
        f"{words['sponsor']} {registry.sponsor} · "
        f"{words['start']} {_date(registry.start_date, language)} · "
        f"{words['completion']} {_date(registry.completion_date, language)}"
    )
    out.append("")
    allocation = ALLOCATION.get(language, {}).get(design.allocation, design.allocation.lower())
    out.append(words["arms"].format(allocation=allocation, target=design.target_enrollment))
    for arm in design.arms:
        ratio = design.allocation_ratio.get(arm.code, 0)
        out.append(f"  {arm.code:<12} {arm.type:<20} {words['ratio']} {ratio}  "
                   f"{arm.label.text(language)}")
    who = ", ".join(design.masking.who)
    out.append(f"{words['masking']}: {design.masking.level} ({who})")
    randomization = design.randomization
    out.append(f"{words['randomization']}: {randomization_line(protocol, language)}")
    for factor in randomization.strata:
        levels = ", ".join(level.code for level in factor.levels)
        out.append(f"  {words['stratum']} {factor.code} ({factor.source}): {levels}")
    out.append("")
    out.append(words["matrix"])
    out.append(visit_form_matrix(protocol, language))
    out.append("")
    out.append(words["outcomes"])
    for outcome in protocol.outcomes:
        out.append(
            f"  [{outcome.kind}] {outcome.measure.text(language)} "
            f"({outcome.time_frame.text(language)}; {words['analysis']}: {outcome.analysis})"
        )
    if protocol.monitoring is not None:
        out.append("")
        out += monitoring_lines(protocol.monitoring, language)
    if protocol.product is not None:
        out.append("")
        out += product_lines(protocol.product, language)
    if protocol.assumptions:
        out.append("")
        out.append(words["assumptions"].format(count=len(protocol.assumptions)))
        for assumption in protocol.assumptions:
            out.append(f"  {assumption.path}: {assumption.note}")
    return "\n".join(out)
