from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupplyConfig(AppConfig):
    name = "trialdesk.web.supply"
    label = "supply"
    verbose_name = _("Product supply")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from trialdesk.web.supply.inventory import refuse_unusable_kit_at_dispensing
        from trialdesk.web.supply.replacement import holder_of, replacement_of
        from trialdesk.web.trials.actions.pharmacy import register_dispensing_check
        from trialdesk.web.trials.kits import register_kit_replacements

        register_dispensing_check(refuse_unusable_kit_at_dispensing)
        register_kit_replacements(replacement_of, holder_of)
