from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "marktplatz.loyalty"
    label = "loyalty"
    verbose_name = _("City card")
    # Run by ledger_verify (ledger.selectors.ledger_verify, invariant 6).
    ledger_checks = ("marktplatz.loyalty.selectors.town_copies_agree",)

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from marktplatz.core.memo import forget

        def forget_rules(sender, **kwargs):
            forget("programme")
            forget("rules")
            forget("campaigns")

        for model in ("loyalty.Programme", "loyalty.MerchantRules", "loyalty.Campaign"):
            post_save.connect(
                forget_rules, sender=model, weak=False, dispatch_uid=f"mp_memo_{model}"
            )
