from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "marktplatz.api"
    label = "api"
    verbose_name = _("Interfaces")

    def ready(self) -> None:
        from marktplatz.api.webhooks import on_booking_created
        from marktplatz.loyalty.services import booking_created

        booking_created.connect(on_booking_created, dispatch_uid="mp_booking_webhooks")

        from django.db.models.signals import post_save

        from marktplatz.core.memo import forget

        def forget_endpoints(sender, **kwargs):
            forget("webhooks")

        post_save.connect(
            forget_endpoints, sender="api.WebhookEndpoint", weak=False, dispatch_uid="mp_hook_memo"
        )
