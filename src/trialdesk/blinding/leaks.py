"""Texts that would reveal an arm if a blinded viewer saw them, and a finder for them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# A JSON member or HTML data attribute that names an arm, whatever its value.
_ARM_FIELD = re.compile(r'"arm(_code|_label)?"\s*:|data-arm\b')


def arm_revealing_texts(protocol: Any, languages: Iterable[str] | None = None) -> set[str]:
    """Return every arm label, arm description and arm-specific intervention name, per language.

    Interventions shared by all arms (standard therapy) reveal nothing and are left out.
    """
    langs = list(languages or protocol.languages)
    arms = protocol.design.arms
    shared = set.intersection(*(set(arm.interventions) for arm in arms)) if arms else set()
    texts: set[str] = set()
    for lang in langs:
        for arm in arms:
            texts.add(arm.label.text(lang))
            texts.add(arm.description.text(lang))
        for intervention in protocol.design.interventions:
            if intervention.code not in shared:
                texts.add(intervention.name.text(lang))
    return {text for text in texts if text}


def find_leaks(body: str, texts: Iterable[str]) -> list[str]:
    """Return what in ``body`` reveals an arm: any of ``texts`` or a field named after the arm."""
    found = sorted(text for text in texts if text in body)
    match = _ARM_FIELD.search(body)
    if match:
        found.append(match.group(0))
    return found
