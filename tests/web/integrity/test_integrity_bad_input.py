"""Bad input on every write operation of the API, derived from its OpenAPI request schema.

Missing, extra and wrongly typed fields, strings over their limit (in non-ASCII letters) or under
it, NUL characters (PostgreSQL cannot store them), dates in other formats, negative numbers,
oversized strings without a limit: each answer is a
4xx JSON (schema errors name the field), and every stored table is unchanged. Then the valid
request still succeeds, so the refusals were about the input and not about the state.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from integrity_kit import dump_database, openapi_schema, write_operations

OPERATIONS = write_operations()
SCHEMA = openapi_schema()
EXTRA = "not_a_field"


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return SCHEMA["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _body_schema(method: str, path: str) -> dict[str, Any]:
    operation = SCHEMA["paths"][path][method.lower()]
    return _resolve(operation["requestBody"]["content"]["application/json"]["schema"])


def _types(prop: dict[str, Any]) -> set[str]:
    options = prop.get("anyOf", [prop])
    return {option.get("type", "") for option in options} - {"null"}


def _wrong_value(prop: dict[str, Any]) -> Any:
    """Return a value of a JSON type the property does not accept."""
    types = _types(prop)
    if "enum" in prop:
        return "no-such-choice"
    for candidate in ([1, 2], {"a": 1}, "text", 12, True):
        kind = {list: "array", dict: "object", str: "string", int: "integer",
                bool: "boolean"}[type(candidate)]
        if kind not in types and not (kind == "integer" and "number" in types):
            if kind == "string" and types & {"integer", "boolean", "number"}:
                return "not a number"  # numbers and booleans would take "12" or "true"
            if kind == "integer" and "boolean" in types:
                continue  # pydantic takes 1 as true
            return candidate
    raise AssertionError(f"no wrong value for {prop}")


def variants(body: dict[str, Any], schema: dict[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """Yield (label, bad body, field the answer must name, or "" for any 4xx)."""
    properties = schema.get("properties", {})
    yield "body is a list", [body], ""
    yield "body is null", None, ""
    yield "extra field", {**body, EXTRA: "x"}, EXTRA
    for name in schema.get("required", []):
        yield f"missing {name}", {k: v for k, v in body.items() if k != name}, name
    for name, prop in properties.items():
        prop = _resolve(prop)
        types = _types(prop)
        yield f"{name} wrongly typed", {**body, name: _wrong_value(prop)}, name
        if "maxLength" in prop:
            yield f"{name} over its limit", {**body, name: "ñ" * (prop["maxLength"] + 1)}, name
        elif types == {"string"} and "enum" not in prop and name not in ("password",):
            yield f"{name} oversized", {**body, name: "x" * 100_000}, ""
        if "string" in types and "enum" not in prop:
            yield f"{name} with NUL", {**body, name: "a\x00b"}, name
        elif "object" in types:
            yield f"{name} with NUL", {**body, name: {"a": "b\x00"}}, name
        elif "array" in types:
            yield f"{name} with NUL", {**body, name: ["a\x00"]}, name
        if prop.get("minLength", 0) >= 1:
            yield f"{name} empty", {**body, name: ""}, name
        if prop.get("format") == "date":
            for text in ("05/01/2026", "2026-02-30", "2026-1-5", "yesterday"):
                yield f"{name} as {text}", {**body, name: text}, name
        if "integer" in types:
            yield f"{name} negative", {**body, name: -1}, ""
            yield f"{name} huge", {**body, name: 10**30}, ""


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_bad_input_is_a_named_4xx_and_changes_nothing(scenarios, method, path):
    request = scenarios.build(method, path)
    client = scenarios.api(request.username)
    schema = _body_schema(method, path)
    before = dump_database()
    problems = []
    for label, body, field in variants(request.body, schema):
        data = "null" if body is None else body
        response = client.send(request.method, request.path, data)
        if not 400 <= response.status_code < 500:
            problems.append(f"{label}: {response.status_code} {response.content[:200]!r}")
            continue
        answer = response.json()
        if not answer.get("error") or not answer.get("detail"):
            problems.append(f"{label}: the error JSON lacks error or detail: {answer}")
        if field:
            named = {item["field"]: item["rule"] for item in answer.get("fields", [])}
            # an element of a list is named with its position ("visits.0")
            if not any(rule for name, rule in named.items()
                       if name == field or name.startswith(f"{field}.")):
                problems.append(f"{label}: the answer does not name {field} and a rule: {answer}")
        if dump_database() != before:
            problems.append(f"{label}: stored data changed")
            before = dump_database()
    assert problems == []
    response = client.send(request.method, request.path, request.body)
    assert response.status_code < 300, response.content


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_malformed_json_is_a_400_in_the_error_shape_and_changes_nothing(scenarios, method, path):
    request = scenarios.build(method, path)
    before = dump_database()
    for text in ("{not json", '{"a": 1', "[1,", "\x00"):
        response = scenarios.api(request.username).send(request.method, request.path, text)
        assert response.status_code == 400, (text, response.content)
        assert response.json()["error"] == "invalid"
        assert response.json()["fields"] == [{"field": "body", "rule": "must be valid JSON"}]
    assert dump_database() == before
