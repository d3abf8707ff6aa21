"""The published API description names no arm: no enum of arm codes, example, default or text.

Attack: anyone (the schema is public) reads the arm codes and labels as enum values or examples,
or a blinded role learns the shape of an unblinded answer that gives an arm away by its size.
"""

from __future__ import annotations

import json
import re

from django.test import Client

from trialdesk.blinding import arm_revealing_texts
from trialdesk.web.core.protocol import get_protocol


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif node is not None:
        yield str(node)


def test_the_schema_names_no_arm_code_label_type_or_intervention():
    protocol = get_protocol()
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert len(schema["paths"]) > 10
    forbidden = {arm.code for arm in protocol.design.arms}
    forbidden |= {arm.type for arm in protocol.design.arms}
    texts = arm_revealing_texts(protocol, ["en", "es"])
    findings = []
    for text in _strings(schema):
        findings += [word for word in forbidden
                     if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text)]
        findings += [t for t in texts if t in text]
    assert findings == []
    # an enum of arm codes (or of coded groups) would be the obvious slip
    enums = re.findall(r'"enum": \[([^\]]*)\]', response.content.decode())
    assert enums and not [e for e in enums if "group" in e or any(
        f'"{code}"' in e for code in (arm.code for arm in protocol.design.arms))]
