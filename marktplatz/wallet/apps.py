from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "marktplatz.wallet"
    label = "wallet"
    verbose_name = _("Wallet passes")

    def ready(self) -> None:
        from marktplatz.loyalty.services import booking_created
        from marktplatz.wallet.push import on_booking_created

        booking_created.connect(on_booking_created, dispatch_uid="mp_wallet_push")
