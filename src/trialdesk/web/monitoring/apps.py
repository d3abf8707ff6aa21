from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class MonitoringConfig(AppConfig):
    name = "trialdesk.web.monitoring"
    label = "monitoring"
    verbose_name = _("Monitoring")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # a lock asks whether the source data it freezes were verified (the lock engineer's
        # checklist shows and enforces it; this app only says what is outstanding)
        from trialdesk.web.core.lock_checklist import register_lock_check
        from trialdesk.web.monitoring.lock_check import find_unverified

        # marked, not translated: the checklist page says it in the reader's language
        register_lock_check("unverified_sdv", gettext_noop("Source data not verified"),
                            find_unverified)
