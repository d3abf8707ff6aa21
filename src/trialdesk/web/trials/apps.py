from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trialdesk.web.trials"
    label = "trials"
    default_auto_field = "django.db.models.BigAutoField"
