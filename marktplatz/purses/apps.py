from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PursesConfig(AppConfig):
    name = "marktplatz.purses"
    label = "purses"
    verbose_name = _("Card purse and employer benefits")
