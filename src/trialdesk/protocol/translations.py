"""Find texts that lack a translation into one of the protocol's languages."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from trialdesk.protocol.schema import Protocol
from trialdesk.protocol.text import LocalizedText


def iter_texts(node: object, path: str = "") -> Iterator[tuple[str, LocalizedText]]:
    """Yield (dotted path, text) for every LocalizedText in a protocol tree."""
    if isinstance(node, LocalizedText):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            child = f"{path}.{name}" if path else name
            yield from iter_texts(getattr(node, name), child)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from iter_texts(item, f"{path}[{index}]")
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from iter_texts(item, f"{path}.{key}")


def missing_translations(protocol: Protocol) -> list[tuple[str, str]]:
    """Return (path, language) for every text not translated into a declared language."""
    return [
        (path, language)
        for path, text in iter_texts(protocol)
        for language in text.missing(protocol.languages)
    ]
