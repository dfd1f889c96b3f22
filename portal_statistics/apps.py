from django.apps import AppConfig


class PortalStatisticsConfig(AppConfig):
    # Not `statistics`: a top-level package of that name would shadow the standard library's.
    name = "portal_statistics"
    label = "portal_statistics"
    verbose_name = "Public statistics"
