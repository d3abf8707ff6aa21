"""The change categories of an amendment, in the reader's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

CATEGORY_LABELS = {
    "form_added": _("Forms added"),
    "form_removed": _("Forms removed"),
    "field_added": _("Fields added"),
    "field_removed": _("Fields removed"),
    "field_changed": _("Fields changed"),
    "range_changed": _("Ranges changed"),
    "choices_changed": _("Choices changed"),
    "visit_added": _("Visits added"),
    "visit_removed": _("Visits removed"),
    "visit_changed": _("Visits changed"),
    "eligibility_changed": _("Eligibility changed"),
    "consent_changed": _("Consent changed"),
    "randomization_changed": _("Randomization changed"),
    "other": _("Other changes"),
}
