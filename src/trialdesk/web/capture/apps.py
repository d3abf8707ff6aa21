from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureConfig(AppConfig):
    name = "trialdesk.web.capture"
    label = "capture"
    verbose_name = _("Data capture")
    default_auto_field = "django.db.models.BigAutoField"
