"""A protocol amendment: the classified difference between two versions of a protocol (issue 17).

``diff_protocols(old, new)`` compares the two validated protocols item by item: forms, fields,
visits, eligibility criteria, stratum levels and choices are matched by their code (consent
versions by their name, approvals by their site), so that reordering a file is no change and a
field's path reads as it does in the forms (``forms.respiratory.fields.pao2.range.max``). Each
difference becomes a ``Change`` with a category that says what an amendment of that kind implies
(a field added: new forms carry it; a randomization parameter: refused once the allocation list
is loaded).

Confidential values (the block sizes, the procedure's parameters, the monitoring plan's seed) are
compared but never carried: a change to one holds ``CONFIDENTIAL`` for its old and new values, so
that no page, API answer or log made from a diff can disclose them (ICH E9).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from trialdesk.protocol.amendment_text import CONFIDENTIAL, render_changes
from trialdesk.protocol.consent import ConsentRules
from trialdesk.protocol.expressions import Expression
from trialdesk.protocol.schema import Protocol
from trialdesk.protocol.text import LocalizedText

CATEGORIES: tuple[str, ...] = (
    "form_added", "form_removed", "field_added", "field_removed", "field_changed",
    "range_changed", "choices_changed", "visit_added", "visit_removed", "visit_changed",
    "eligibility_changed", "consent_changed", "randomization_changed", "other",
)
__all__ = ["CATEGORIES", "CONFIDENTIAL", "AmendmentDiff", "AmendmentRefused", "Change",
           "diff_protocols", "refuse_randomization_change", "render_diff"]
RANDOMIZATION_FIXED = "randomization_fixed"

# the keys that name an item of a list of tables, tried in this order
_ITEM_KEYS = ("code", "version", "site")
# paths whose values are secret: compared, never shown
_SECRET_PATHS = (
    ("design", "randomization", "block_sizes"),
    ("design", "randomization", "parameters"),
    ("monitoring", "seed"),
)
# what the allocation list is made from: changing one after the first randomization would make
# the list (committed by its hash before the trial) no longer the one in use
_RANDOMIZATION_KEYS = ("randomization", "allocation_ratio", "allocation")
_ABSENT = object()


@dataclass(frozen=True)
class Change:
    """One difference: its category, dotted path, and old and new values (plain JSON values)."""

    category: str
    path: str
    old: object  # None when added
    new: object  # None when removed


@dataclass(frozen=True)
class AmendmentDiff:
    """Every change from one protocol version to the next, in the protocol's order."""

    changes: tuple[Change, ...]
    # (site, consent version in force before, after) for each site where it differs
    consent_in_force: tuple[tuple[str, str | None, str | None], ...] = field(default=())

    def of(self, *categories: str) -> list[Change]:
        """Return the changes of these categories."""
        unknown = [name for name in categories if name not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown change category {unknown[0]!r}")
        return [change for change in self.changes if change.category in categories]

    @property
    def randomization_changes(self) -> list[Change]:
        """The changes to what the allocation list is made from."""
        return self.of("randomization_changed")

    @property
    def changes_consent_version(self) -> bool:
        """True if the consent document in force differs at some site (re-consent is due)."""
        return bool(self.consent_in_force)

    @property
    def changed_forms(self) -> list[str]:
        """The codes of the forms added, removed or whose definition changed, in diff order:
        a form not among them reads the same under both versions."""
        codes = [change.path.split(".")[1] for change in self.changes
                 if change.path.startswith("forms.")]
        return list(dict.fromkeys(codes))

    def __bool__(self) -> bool:
        return bool(self.changes)


class AmendmentRefused(ValueError):
    """An amendment that may not be applied; ``field`` is the dotted path, ``rule`` the rule."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule
        self.message = message


class _Keyed(dict):
    """A list of tables held by their codes for comparison; shown again as a list."""


class _Secret:
    """A confidential value: equal to another by value, shown as ``CONFIDENTIAL`` only."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Secret) and other._value == self._value

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return CONFIDENTIAL


def diff_protocols(old: Protocol, new: Protocol) -> AmendmentDiff:
    """Return the classified changes that turn ``old`` into ``new`` (empty when they are equal)."""
    changes = tuple(
        Change(_category(keys, before, after), ".".join(keys), _plain(before), _plain(after))
        for keys, before, after in _walk(_tree(old), _tree(new), ())
    )
    return AmendmentDiff(changes, _consent_in_force(old, new))


def refuse_randomization_change(diff: AmendmentDiff, *, randomization_started: bool,
                                allocation_loaded: bool = False) -> None:
    """Raise AmendmentRefused naming the first randomization parameter changed, once the
    allocation list is loaded or the first participant randomized: the list (or the dynamic
    procedure's committed scheme) was made from the old parameters, and allocation keeps using
    it, so the change would be recorded without any effect."""
    changed = diff.randomization_changes
    if not (randomization_started or allocation_loaded) or not changed:
        return
    paths = ", ".join(change.path for change in changed)
    since = ("the first participant is randomized" if randomization_started
             else "the allocation list is loaded")
    raise AmendmentRefused(
        field=changed[0].path, rule=RANDOMIZATION_FIXED,
        message=(f"{changed[0].path}: the randomization parameters are fixed once {since}; "
                 f"this amendment changes {paths}"),
    )


def render_diff(diff: AmendmentDiff, language: str = "en") -> str:
    """Return the changes as text grouped by category, in English or Spanish."""
    return render_changes(diff.changes, diff.consent_in_force, language, CATEGORIES)


def _tree(protocol: Protocol) -> dict[str, Any]:
    """The protocol as nested dicts: lists of tables keyed by their code, secrets wrapped."""
    tree = _node(protocol)
    for factor in tree["design"]["randomization"]["strata"].values():
        if factor["source"] == "site":
            # the levels of a site stratum are the sites, listed once under "sites": adding a
            # site is not a change to the randomization's parameters
            factor["levels"] = None
    for keys in _SECRET_PATHS:
        *parents, last = keys
        holder: Any = tree
        for key in parents:
            holder = holder.get(key) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and last in holder and holder[last] not in (None, [], {}):
            holder[last] = _Secret(holder[last])
    return tree


def _node(value: Any) -> Any:
    if isinstance(value, LocalizedText):
        return value  # compared whole: a label is one change, whatever its languages
    if isinstance(value, Expression):
        return value.source
    if isinstance(value, BaseModel):
        return {name: _node(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list):
        key = _item_key(value)
        if key is not None:
            return _Keyed((str(getattr(item, key)), _node(item)) for item in value)
        return [_node(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _node(item) for key, item in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _item_key(items: list[Any]) -> str | None:
    if not items or not all(isinstance(item, BaseModel) for item in items):
        return None
    return next((key for key in _ITEM_KEYS
                 if all(key in type(item).model_fields for item in items)), None)


def _walk(old: Any, new: Any, keys: tuple[str, ...]
          ) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(key for key in new if key not in old)]:
            yield from _walk(old.get(key, _ABSENT), new.get(key, _ABSENT), (*keys, key))
        return
    yield keys, (None if old is _ABSENT else old), (None if new is _ABSENT else new)


def _category(keys: tuple[str, ...], old: Any, new: Any) -> str:
    head, depth = keys[0], len(keys)
    added_or_removed = "added" if old is None else "removed" if new is None else None
    if head == "forms" and depth == 2 and added_or_removed:
        return f"form_{added_or_removed}"
    if head == "forms" and depth >= 4 and keys[2] == "fields":
        if depth == 4 and added_or_removed:
            return f"field_{added_or_removed}"
        attribute = keys[4] if depth > 4 else ""
        if attribute in ("range", "soft_range"):
            return "range_changed"
        return "choices_changed" if attribute == "choices" else "field_changed"
    if head == "forms" and depth >= 3:
        # a form's checks, title, repetition or permission: what its fields' data are held to
        return "field_changed"
    if head == "visits":
        return f"visit_{added_or_removed}" if depth == 2 and added_or_removed else "visit_changed"
    if head in ("eligibility", "consent"):
        return f"{head}_changed"
    if head == "design" and depth >= 2 and keys[-1] != "label" and (
        keys[1] in _RANDOMIZATION_KEYS or (keys[1] == "arms" and depth == 3)
    ):
        return "randomization_changed"  # a stratum's label is only what it is called
    return "other"


def _plain(value: Any) -> Any:
    """A tree value as plain JSON values (texts as their translations, secrets masked)."""
    if isinstance(value, _Secret):
        return CONFIDENTIAL
    if isinstance(value, LocalizedText):
        return dict(value.translations)
    if isinstance(value, _Keyed):
        return [_plain(item) for item in value.values()]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _consent_in_force(old: Protocol, new: Protocol
                      ) -> tuple[tuple[str, str | None, str | None], ...]:
    """The sites whose consent document in force changes, with the version before and after.

    In force at a site: the latest version approved there. A version the amendment adds without
    an approval at a site is the one in force there once the site's ethics committee approves the
    amendment (the server records that approval), so it counts as the new one.
    """
    sites = [site.code for site in new.sites]
    before = {site: _version_at(old.consent, site, added=()) for site in sites}
    added = _added_versions(old.consent, new.consent)
    after = {site: _version_at(new.consent, site, added=added) for site in sites}
    return tuple((site, before[site], after[site]) for site in sites
                 if before[site] != after[site])


def _added_versions(old: ConsentRules | None, new: ConsentRules | None) -> tuple[str, ...]:
    known = {version.version for version in old.versions} if old is not None else set()
    return tuple(v.version for v in (new.versions if new is not None else [])
                 if v.version not in known)


def _version_at(rules: ConsentRules | None, site: str, *, added: tuple[str, ...]) -> str | None:
    if rules is None:
        return None
    pending = [name for name in added if rules.version(name).approved_on(site) is None]
    if pending:
        return pending[-1]
    current = rules.current_version(site, dt.date.max)
    return current.version if current is not None else None
