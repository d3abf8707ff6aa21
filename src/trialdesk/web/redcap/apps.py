from django.apps import AppConfig


class RedcapConfig(AppConfig):
    name = "trialdesk.web.redcap"
    label = "redcap"
    verbose_name = "REDCap-compatible API"
    default_auto_field = "django.db.models.BigAutoField"
