from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "finder"
    verbose_name = "Factory finder and re-routing"
