"""Django app configuration of the public registry."""

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "trialdesk.web.registry"
    label = "registry"
    verbose_name = "Public trial registry"
    default_auto_field = "django.db.models.BigAutoField"
