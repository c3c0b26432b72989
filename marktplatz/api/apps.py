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
