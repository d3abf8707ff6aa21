from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeviationsConfig(AppConfig):
    name = "trialdesk.web.deviations"
    label = "deviations"
    verbose_name = _("Protocol deviations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from trialdesk.web.core.lock_checklist import register_lock_check
        from trialdesk.web.deviations.lock_check import CODE, LABEL, find

        register_lock_check(CODE, LABEL, find)
