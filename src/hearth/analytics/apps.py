from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "hearth.analytics"
    label = "analytics"
