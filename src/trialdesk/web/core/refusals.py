"""An action's refusal in the reader's language, on the pages only.

Actions refuse in English (``InvalidInput.rule``, ``Conflict.message``): the API sends that text
and its error codes unchanged, whatever the caller's language. A page shows the same refusal
translated when it is displayed (:func:`in_reader_language`). The action marks its text with
``gettext_noop`` (so ``makemessages`` and the catalogue checks see it); a text with values is a
:func:`phrase`, the English with the values in, which remembers its template and values so that
the page translates the template, not the filled-in text.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext


class Phrase(str):
    """English text with values filled in, keeping its template and the values."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, values: dict[str, Any]) -> Phrase:
        text = super().__new__(cls, template % values)
        text.template, text.values = template, values
        return text


def phrase(template: str, **values: Any) -> Phrase:
    """``template % values`` (English, for the API), translatable later as a whole."""
    return Phrase(template, values)


def in_reader_language(text: str) -> str:
    """``text`` (a refusal's rule or message) in the active language: its catalogue entry, the
    English when it has none (a refusal no one marked still reads, in English)."""
    if isinstance(text, Phrase):
        return gettext(text.template) % text.values
    return gettext(text) if text else text
