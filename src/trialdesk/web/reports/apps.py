from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "trialdesk.web.reports"
    label = "reports"
    # also the nav link's text in the base template, translated from this app's catalogue
    verbose_name = _("Analysis report")
    default_auto_field = "django.db.models.BigAutoField"
