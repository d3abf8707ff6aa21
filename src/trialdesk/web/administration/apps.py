from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdministrationConfig(AppConfig):
    name = "trialdesk.web.administration"
    label = "administration"
    verbose_name = _("Administration")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # core knows no app: it asks the gates apps register whether a role may be used
        from django.db.models.signals import post_save

        from trialdesk.web.administration import gate
        from trialdesk.web.core import actor, timezones
        from trialdesk.web.core.models import Membership

        if gate.refuse_unusable_role not in actor.ROLE_GATES:
            actor.ROLE_GATES.append(gate.refuse_unusable_role)
        if gate.site_time_zone not in timezones.SITE_ZONE_SOURCES:
            timezones.SITE_ZONE_SOURCES.append(gate.site_time_zone)
        post_save.connect(gate.delegate_operator_membership, sender=Membership,
                          dispatch_uid="administration.delegate_operator_membership")
