from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkerConfig(AppConfig):
    name = "trialdesk.web.worker"
    label = "worker"
    verbose_name = _("Background tasks")
    default_auto_field = "django.db.models.BigAutoField"
