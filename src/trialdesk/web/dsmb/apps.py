from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DsmbConfig(AppConfig):
    name = "trialdesk.web.dsmb"
    label = "dsmb"
    verbose_name = _("DSMB")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # the stopping rule is evaluated whenever an adverse event or an infusion form is saved
        from trialdesk.web.dsmb import receivers  # noqa: F401

        # alerts that keep failing are listed on the administrator's outbox page (issue 20)
        from trialdesk.web.dsmb.alerts import undelivered_rows
        from trialdesk.web.outbox.registry import register_undelivered

        register_undelivered("dsmb", undelivered_rows)
