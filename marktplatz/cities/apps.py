from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    name = "marktplatz.cities"
    label = "cities"
    verbose_name = _("Towns")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from marktplatz.core.memo import forget

        def forget_towns(sender, **kwargs):
            forget("city")

        post_save.connect(
            forget_towns, sender="cities.City", weak=False, dispatch_uid="mp_city_memo"
        )
        post_delete.connect(
            forget_towns, sender="cities.City", weak=False, dispatch_uid="mp_city_memo_d"
        )
