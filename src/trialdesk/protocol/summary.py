"""A readable summary of a protocol for `trialdesk protocol show`."""

from __future__ import annotations

from trialdesk.protocol.monitoring_summary import monitoring_lines
from trialdesk.protocol.product_summary import product_lines
from trialdesk.protocol.registry import format_partial_date, format_phases, format_status
from trialdesk.protocol.schema import Protocol


def visit_form_matrix(protocol: Protocol, language: str = "en") -> str:
    """Return the visit x form matrix: one row per form, one column per visit, X where due."""
    visits = protocol.visits
    header = ["form", *(visit.code for visit in visits)]
    rows = [header]
    for form in protocol.forms:
        if form.repeating:
            rows.append([f"{form.code} (log)", *("·" for _ in visits)])
            continue
        rows.append([form.code, *("X" if form.code in visit.forms else "" for visit in visits)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    days = ", ".join(
        f"{visit.code} = day {visit.day} ({visit.title.text(language)}, "
        f"-{visit.window_before}/+{visit.window_after} d)"
        for visit in visits
    )
    return "\n".join([*lines, "", f"Visits: {days}", "· = log form, entered whenever it occurs"])


def randomization_line(protocol: Protocol) -> str:
    """Return the method, and "block sizes confidential" where there are block sizes.

    The summary is what sites and the public read: the block sizes are never in it (ICH E9), even
    for a protocol that keeps them in its own file; the allocation list's maker reads them there.
    """
    randomization = protocol.design.randomization
    line = randomization.method
    if randomization.block_sizes or randomization.method == "permuted-blocks":
        line += ", block sizes confidential"
    return line


def summarize(protocol: Protocol, language: str = "en") -> str:
    """Return a multi-section text summary of ``protocol``."""
    registry, design = protocol.registry, protocol.design
    out: list[str] = []
    out.append(f"{registry.nct_id}: {registry.brief_title.text(language)}")
    out.append(
        f"{format_phases(registry.phases)} · {format_status(registry.overall_status)} · "
        f"sponsor {registry.sponsor} · start {format_partial_date(registry.start_date)} · "
        f"completion {format_partial_date(registry.completion_date)}"
    )
    out.append("")
    out.append(f"Arms ({design.allocation.lower()}, target {design.target_enrollment}):")
    for arm in design.arms:
        ratio = design.allocation_ratio.get(arm.code, 0)
        out.append(f"  {arm.code:<12} {arm.type:<20} ratio {ratio}  {arm.label.text(language)}")
    who = ", ".join(design.masking.who)
    out.append(f"Masking: {design.masking.level} ({who})")
    randomization = design.randomization
    out.append(f"Randomization: {randomization_line(protocol)}")
    for factor in randomization.strata:
        levels = ", ".join(level.code for level in factor.levels)
        out.append(f"  stratum {factor.code} ({factor.source}): {levels}")
    out.append("")
    out.append("Visit x form matrix:")
    out.append(visit_form_matrix(protocol, language))
    out.append("")
    out.append("Outcomes:")
    for outcome in protocol.outcomes:
        out.append(
            f"  [{outcome.kind}] {outcome.measure.text(language)} "
            f"({outcome.time_frame.text(language)}; analysis: {outcome.analysis})"
        )
    if protocol.monitoring is not None:
        out.append("")
        out += monitoring_lines(protocol.monitoring, language)
    if protocol.product is not None:
        out.append("")
        out += product_lines(protocol.product, language)
    if protocol.assumptions:
        out.append("")
        out.append(f"Assumptions ({len(protocol.assumptions)}; the registry page does not say):")
        for assumption in protocol.assumptions:
            out.append(f"  {assumption.path}: {assumption.note}")
    return "\n".join(out)
