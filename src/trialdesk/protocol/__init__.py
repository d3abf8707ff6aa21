"""The protocol as code: a TOML file validated by pydantic models.

>>> from trialdesk.protocol import load_protocol
>>> load_protocol().registry.nct_id
'NCT04390152'
"""

from trialdesk.protocol.capture import Form, FormField, Visit
from trialdesk.protocol.design import Arm, Design, StratumFactor, StratumLevel
from trialdesk.protocol.errors import ProtocolError, ProtocolIssue
from trialdesk.protocol.expressions import Expression, MissingValue
from trialdesk.protocol.loader import default_protocol_path, load_protocol, parse_protocol
from trialdesk.protocol.schema import Criterion, Protocol, Role, Site
from trialdesk.protocol.text import LocalizedText

__all__ = [
    "Arm", "Criterion", "Design", "Expression", "Form", "FormField", "LocalizedText",
    "MissingValue", "Protocol", "ProtocolError", "ProtocolIssue", "Role", "Site",
    "StratumFactor", "StratumLevel", "Visit", "default_protocol_path", "load_protocol",
    "parse_protocol",
]
