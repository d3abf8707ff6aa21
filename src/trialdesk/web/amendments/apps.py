from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AmendmentsConfig(AppConfig):
    name = "trialdesk.web.amendments"
    label = "amendments"
    verbose_name = _("Protocol amendments")
    default_auto_field = "django.db.models.BigAutoField"
