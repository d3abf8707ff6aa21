from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulesConfig(AppConfig):
    name = "trialdesk.web.schedules"
    label = "schedules"
    verbose_name = _("Scheduled work")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the worker knows no app: every worker's heartbeat asks the hooks apps register
        from trialdesk.web.schedules import scheduler
        from trialdesk.web.worker import runner

        if scheduler.enqueue_due not in runner.BEAT_HOOKS:
            runner.BEAT_HOOKS.append(scheduler.enqueue_due)
