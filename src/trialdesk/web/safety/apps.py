from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SafetyConfig(AppConfig):
    name = "trialdesk.web.safety"
    label = "safety"
    verbose_name = _("Safety")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # what this app's data must settle before a lock (core.lock_checklist)
        from trialdesk.web.safety import lock_checks

        lock_checks.register()
        # alerts that keep failing are listed on the administrator's outbox page (issue 20)
        from trialdesk.web.outbox.registry import register_undelivered
        from trialdesk.web.safety.alerts import undelivered_rows

        register_undelivered("safety", undelivered_rows)
