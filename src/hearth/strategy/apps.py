from django.apps import AppConfig


class StrategyConfig(AppConfig):
    name = "hearth.strategy"
    label = "strategy"
