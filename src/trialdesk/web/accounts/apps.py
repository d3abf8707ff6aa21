from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trialdesk.web.accounts"
    label = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the login audit's receivers; two-factor sign-in's actions (registered on import)
        from trialdesk.web.accounts import signals, two_factor  # noqa: F401
