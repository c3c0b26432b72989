from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "marktplatz.demo"
    label = "demo"
    verbose_name = "Demo"
