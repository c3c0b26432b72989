from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessengerConfig(AppConfig):
    name = "marktplatz.messenger"
    label = "messenger"
    verbose_name = _("City Messenger")

    def ready(self) -> None:
        from marktplatz.loyalty.offers import till_offers_wanted
        from marktplatz.loyalty.services import booking_created
        from marktplatz.messenger.receivers import offers_for_till, redemption_counted

        till_offers_wanted.connect(offers_for_till, dispatch_uid="mp_messenger_till_offers")
        booking_created.connect(redemption_counted, dispatch_uid="mp_messenger_redemptions")
