from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaptureConfig(AppConfig):
    name = "trialdesk.web.capture"
    label = "capture"
    verbose_name = _("Data capture")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # what this app's data must settle before a lock (core.lock_checklist)
        from trialdesk.web.capture import lock_checks

        lock_checks.register()
