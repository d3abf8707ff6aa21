from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DesignConfig(AppConfig):
    name = "trialdesk.web.design"
    label = "design"
    verbose_name = _("Trial design")
    default_auto_field = "django.db.models.BigAutoField"
