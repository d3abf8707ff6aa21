"""A form field may say it holds a kit code copied from the kit's label (``kit_label``)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from trialdesk.protocol import load_protocol
from trialdesk.protocol.capture import FormField


def test_the_default_protocol_marks_the_infusion_forms_kit_code_only():
    marked = [(form.code, field.code) for form in load_protocol().forms
              for field in form.fields if field.kit_label]
    assert marked == [("infusion", "kit_code")]


def test_a_kit_label_field_is_a_text_field():
    label = {"en": "Kit", "es": "Kit"}
    assert FormField(code="kit", label=label, type="text", kit_label=True).kit_label
    with pytest.raises(ValidationError, match="a kit code field is a text field"):
        FormField(code="kit", label=label, type="integer", kit_label=True)
