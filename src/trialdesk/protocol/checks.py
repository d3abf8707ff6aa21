"""Checks across the protocol that a single field's type cannot express.

Each check yields ``(path, rule, message)``; the loader gathers them all, so a file with several
mistakes reports every one at once.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

from trialdesk.protocol.capture import NUMERIC_TYPES, FormField
from trialdesk.protocol.derivations import VentilatorFreeDaysRule
from trialdesk.protocol.expressions import Expression, Interval
from trialdesk.protocol.schema import Protocol

Finding = tuple[str, str, str]

# Names a rule may read besides form fields: facts the system supplies.
CONTEXT_NAMES = frozenset({"randomization_date", "today", "study_day"})


def check_protocol(protocol: Protocol) -> list[Finding]:
    """Return every cross-reference problem in ``protocol``."""
    findings: list[Finding] = []
    for check in (
        _duplicate_codes, _arms_and_ratio, _interventions_of_arms, _masking_and_roles,
        _block_sizes, _strata, _eligibility_fields, _visit_forms, _form_rules,
        _derivation_rules, _assumption_paths,
    ):
        findings.extend(check(protocol))
    return findings


def _duplicates(codes: list[str]) -> list[str]:
    return [code for code, count in Counter(codes).items() if count > 1]


def _duplicate_codes(protocol: Protocol) -> Iterator[Finding]:
    collections = {
        "design.arms": [arm.code for arm in protocol.design.arms],
        "design.interventions": [item.code for item in protocol.design.interventions],
        "visits": [visit.code for visit in protocol.visits],
        "forms": [form.code for form in protocol.forms],
        "roles": [role.code for role in protocol.roles],
        "sites": [site.code for site in protocol.sites],
        "outcomes": [outcome.code for outcome in protocol.outcomes],
    }
    for path, codes in collections.items():
        for code in _duplicates(codes):
            yield path, "unique-code", f"code {code!r} is used more than once"
    for index, form in enumerate(protocol.forms):
        for code in _duplicates([field.code for field in form.fields]):
            yield (
                f"forms[{index}].fields[{_last_index(form.fields, code)}].code",
                "unique-field",
                f"field {code!r} appears more than once in form {form.code!r}",
            )
        for field_index, field in enumerate(form.fields):
            for code in _duplicates([choice.code for choice in field.choices]):
                yield (
                    f"forms[{index}].fields[{field_index}].choices",
                    "unique-choice",
                    f"choice code {code!r} appears more than once",
                )


def _last_index(fields: list[FormField], code: str) -> int:
    return max(index for index, field in enumerate(fields) if field.code == code)


def _arms_and_ratio(protocol: Protocol) -> Iterator[Finding]:
    arm_codes = {arm.code for arm in protocol.design.arms}
    ratio = protocol.design.allocation_ratio
    for code in ratio:
        if code not in arm_codes:
            yield (
                f"design.allocation_ratio.{code}",
                "arm-defined",
                f"arm {code!r} is used in the allocation ratio but not defined in design.arms",
            )
    for code in sorted(arm_codes - set(ratio)):
        yield (
            "design.allocation_ratio",
            "ratio-matches-arms",
            f"the allocation ratio gives no weight to arm {code!r}; "
            f"it must name every arm ({', '.join(sorted(arm_codes))})",
        )


def _interventions_of_arms(protocol: Protocol) -> Iterator[Finding]:
    known = {item.code for item in protocol.design.interventions}
    for index, arm in enumerate(protocol.design.arms):
        for position, code in enumerate(arm.interventions):
            if code not in known:
                yield (
                    f"design.arms[{index}].interventions[{position}]",
                    "intervention-defined",
                    f"intervention {code!r} is not defined in design.interventions",
                )


def _masking_and_roles(protocol: Protocol) -> Iterator[Finding]:
    masked = set(protocol.design.masking.who)
    for index, role in enumerate(protocol.roles):
        for masked_as in role.masked_as:
            if masked_as in masked and role.sees_arm in ("own_site", "all"):
                yield (
                    f"roles[{index}].sees_arm",
                    "masked-role-blind",
                    f"role {role.code!r} counts as {masked_as}, which the design masks, "
                    f"so it cannot see arms ({role.sees_arm!r})",
                )


def _block_sizes(protocol: Protocol) -> Iterator[Finding]:
    randomization = protocol.design.randomization
    if set(protocol.design.allocation_ratio) != {arm.code for arm in protocol.design.arms}:
        return  # the ratio itself is wrong; that error is reported on its own
    total = sum(protocol.design.allocation_ratio.values())
    if (randomization.method == "permuted-blocks" and not randomization.block_sizes
            and not randomization.confidential):  # confidential: given beside the seed
        yield "design.randomization.block_sizes", "block-sizes", "permuted blocks need block sizes"
    for position, size in enumerate(randomization.block_sizes):
        if total and size % total:
            yield (
                f"design.randomization.block_sizes[{position}]",
                "block-fits-ratio",
                f"block size {size} is not a multiple of the allocation ratio's total {total}",
            )


def _strata(protocol: Protocol) -> Iterator[Finding]:
    fields = protocol.all_fields()
    inclusion_bounds = _inclusion_bounds(protocol)
    for factor_index, factor in enumerate(protocol.design.randomization.strata):
        base = f"design.randomization.strata[{factor_index}]"
        if factor.source == "field" and not factor.levels:
            yield f"{base}.levels", "stratum-levels", "a stratum factor needs levels with rules"
        for level_index, level in enumerate(factor.levels):
            path = f"{base}.levels[{level_index}].rule"
            if factor.source == "site":
                continue
            if level.rule is None:
                yield path, "stratum-rule", f"level {level.code!r} needs a rule"
                continue
            unknown = sorted(level.rule.names() - set(fields))
            if unknown:
                yield path, "field-defined", f"rule reads {', '.join(unknown)}, which no form has"
                continue
            reason = _unreachable(level.rule, fields, inclusion_bounds)
            if reason:
                yield (
                    path,
                    "stratum-reachable",
                    f"level {level.code!r} of stratum {factor.code!r} "
                    f"can never be reached: {reason}",
                )


def _inclusion_bounds(protocol: Protocol) -> dict[str, Interval]:
    bounds: dict[str, Interval] = {}
    for criterion in protocol.eligibility.inclusion:
        for name, interval in (criterion.expression.numeric_bounds() or {}).items():
            bounds[name] = bounds.get(name, Interval()).intersect(interval)
    return bounds


def _unreachable(
    rule: Expression, fields: dict[str, FormField], inclusion: dict[str, Interval]
) -> str | None:
    for name, value in rule.equalities().items():
        field = fields[name]
        if field.type == "choice" and value not in {choice.code for choice in field.choices}:
            return f"{name} has no choice {value!r}"
    for name, interval in (rule.numeric_bounds() or {}).items():
        field = fields[name]
        allowed = interval.intersect(inclusion.get(name, Interval()))
        if field.range is not None:
            allowed = allowed.intersect(
                Interval(
                    -math.inf if field.range.min is None else field.range.min, True,
                    math.inf if field.range.max is None else field.range.max, True,
                )
            )
        if allowed.is_empty():
            return f"{name} cannot satisfy both this rule and the eligibility criteria or its range"
    return None


def _eligibility_fields(protocol: Protocol) -> Iterator[Finding]:
    fields = set(protocol.all_fields())
    for group in ("inclusion", "exclusion"):
        for index, criterion in enumerate(getattr(protocol.eligibility, group)):
            unknown = sorted(criterion.expression.names() - fields)
            if unknown:
                key = next(name for name in ("rule", "all", "any") if getattr(criterion, name))
                yield (
                    f"eligibility.{group}[{index}].{key}",
                    "field-defined",
                    f"criterion {criterion.code!r} reads {', '.join(unknown)}, which no form has",
                )


def _visit_forms(protocol: Protocol) -> Iterator[Finding]:
    known = {form.code for form in protocol.forms}
    for index, visit in enumerate(protocol.visits):
        for position, code in enumerate(visit.forms):
            if code not in known:
                yield (
                    f"visits[{index}].forms[{position}]",
                    "form-defined",
                    f"form {code!r} is due at visit {visit.code!r} but no such form exists",
                )


def _form_rules(protocol: Protocol) -> Iterator[Finding]:
    for form_index, form in enumerate(protocol.forms):
        own = {field.code for field in form.fields}
        for field_index, field in enumerate(form.fields):
            if field.derived is not None:
                unknown = sorted(field.derived.names() - own - CONTEXT_NAMES)
                if unknown:
                    yield (
                        f"forms[{form_index}].fields[{field_index}].derived",
                        "field-defined",
                        f"derived field {field.code!r} reads {', '.join(unknown)}, "
                        f"which form {form.code!r} does not have",
                    )
                for name in field.derived.names() & own:
                    if form.field(name).type not in NUMERIC_TYPES:
                        yield (
                            f"forms[{form_index}].fields[{field_index}].derived",
                            "derived-numeric",
                            f"derived field {field.code!r} reads {name!r}, which is not a number",
                        )
        for check_index, check in enumerate(form.checks):
            unknown = sorted(check.rule.names() - own - CONTEXT_NAMES)
            if unknown:
                yield (
                    f"forms[{form_index}].checks[{check_index}].rule",
                    "field-defined",
                    f"check {check.code!r} reads {', '.join(unknown)}, "
                    f"which form {form.code!r} does not have",
                )


def _derivation_rules(protocol: Protocol) -> Iterator[Finding]:
    """A named derivation (ventilator-free days) reads fields that exist, of the right type."""
    forms = {form.code: form for form in protocol.forms}
    for form_index, form in enumerate(protocol.forms):
        own = {field.code: field for field in form.fields}
        for field_index, field in enumerate(form.fields):
            rule = field.derived
            if not isinstance(rule, VentilatorFreeDaysRule):
                continue
            path = f"forms[{form_index}].fields[{field_index}].derived"
            episodes = forms.get(rule.episodes)
            if episodes is None or not episodes.repeating:
                yield (path, "derivation-form",
                       f"rule {rule.rule!r} reads episodes from {rule.episodes!r}, which is no "
                       "repeating form")
                continue
            theirs = {f.code: f for f in episodes.fields}
            wanted = [(theirs, rule.start, ("datetime",)), (theirs, rule.stop, ("datetime",)),
                      (own, rule.status, ("choice",)), (own, rule.death_date, ("date",))]
            if rule.mode is not None:
                wanted.append((theirs, rule.mode, ("choice",)))
            for fields, code, types in wanted:
                if code not in fields or fields[code].type not in types:
                    yield (path, "derivation-field",
                           f"rule {rule.rule!r} needs a {' or '.join(types)} field {code!r}")
            mode = theirs.get(rule.mode or "")
            known = {choice.code for choice in mode.choices} if mode is not None else set()
            for code in rule.invasive:
                if code not in known:
                    yield (path, "derivation-choice",
                           f"rule {rule.rule!r} counts mode {code!r}, which is no choice of "
                           f"{rule.mode!r}")


def _assumption_paths(protocol: Protocol) -> Iterator[Finding]:
    data = protocol.model_dump()
    for index, assumption in enumerate(protocol.assumptions):
        if not _path_exists(data, assumption.path):
            yield (
                f"assumptions[{index}].path",
                "assumption-path",
                f"assumption names {assumption.path!r}, which the protocol does not have",
            )


def _path_exists(data: object, dotted: str) -> bool:
    node = data
    for part in dotted.replace("]", "").replace("[", ".").split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True
