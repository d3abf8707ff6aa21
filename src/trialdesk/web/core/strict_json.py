"""JSON text read with no key given twice in one object (the API's bodies, the import files).

Python's ``json.loads`` keeps the last of two equal keys, so ``{"idempotency_key": "a",
"idempotency_key": "b"}`` would be read as ``"b"`` while a proxy, a log or the client's own code may
have read ``"a"``. (``NaN`` and ``Infinity`` still parse: the field's own check refuses them,
naming the field.)
"""

from __future__ import annotations

import json
from typing import Any


class DuplicateKey(ValueError):
    """A JSON object names ``field`` (a dotted path: ``values.age``) more than once."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: appears more than once")
        self.field = field


class _Object(dict):  # type: ignore[type-arg]
    """A parsed JSON object that remembers the first key it was given twice."""

    duplicate: str | None = None


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    result = _Object()
    for key, value in pairs:
        if key in result and result.duplicate is None:
            result.duplicate = key
        result[key] = value
    return result


def _plain(node: Any, where: str) -> Any:
    """Return ``node`` with plain dicts; raise DuplicateKey for the first key given twice, in
    document order (an object's own duplicate before those of its members)."""
    if isinstance(node, _Object):
        if node.duplicate is not None:
            raise DuplicateKey(f"{where}.{node.duplicate}" if where else node.duplicate)
        return {key: _plain(value, f"{where}.{key}" if where else key)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item, f"{where}[{index}]") for index, item in enumerate(node)]
    return node


def loads(raw: str | bytes) -> Any:
    """Parse JSON text; raise ValueError if it is not JSON, DuplicateKey if an object gives a
    key twice."""
    return _plain(json.loads(raw, object_pairs_hook=_object), "")
