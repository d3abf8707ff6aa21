"""Nothing about the default trial is written into data capture: forms are built from whichever
protocol is loaded, and no visit, form or field code of the default protocol appears in the app's
code or templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django import forms

import trialdesk.web.capture
from trialdesk.protocol import load_protocol
from trialdesk.protocol.units import unit_text
from trialdesk.web.capture.forms import build_form_class

APP = Path(trialdesk.web.capture.__file__).parent
MINIMAL = Path(__file__).resolve().parents[2] / "protocol" / "fixtures" / "minimal.toml"


def _widget_kind(field_type: str) -> type[forms.Widget]:
    return {"choice": forms.Select, "yesno": forms.Select, "date": forms.DateInput,
            "datetime": forms.DateTimeInput}.get(field_type, forms.TextInput)


@pytest.mark.parametrize("protocol_path", [None, MINIMAL], ids=["default", "minimal"])
def test_every_protocol_form_becomes_a_django_form_with_its_fields(protocol_path):
    protocol = load_protocol(protocol_path) if protocol_path else load_protocol()
    for form in protocol.forms:
        django_form = build_form_class(form, "es")()
        assert list(django_form.fields) == [f.code for f in form.fields]
        for definition in form.fields:
            field = django_form.fields[definition.code]
            assert field.label == definition.label.text("es")
            assert field.unit == unit_text(definition.unit, "es")
            assert field.disabled == (definition.derived is not None)
            assert isinstance(field.widget, _widget_kind(definition.type))
            if definition.type == "choice":
                assert [c for c, _ in field.widget.choices][1:] == [
                    c.code for c in definition.choices]


def test_no_code_of_the_default_protocol_is_written_into_the_app():
    protocol = load_protocol()
    codes = ({v.code for v in protocol.visits} | {f.code for f in protocol.forms}
             | {field.code for f in protocol.forms for field in f.fields}
             | {c.code for f in protocol.forms for c in f.checks})
    pattern = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, codes))) + r")(?![\w-])")
    found = []
    for path in APP.rglob("*"):
        if path.suffix not in (".py", ".html") or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            found += [f"{path.relative_to(APP)}:{number}: {m}" for m in pattern.findall(line)]
    assert found == []
