from django.apps import AppConfig


class RedcapConfig(AppConfig):
    name = "trialdesk.web.redcap"
    label = "redcap"
    verbose_name = "REDCap-compatible API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # a user's REDCap token goes with their API tokens when their sign-in changes
        from trialdesk.web.accounts.credentials import REVOKERS
        from trialdesk.web.redcap.actions import revoke_with_credentials

        if revoke_with_credentials not in REVOKERS:
            REVOKERS.append(revoke_with_credentials)
