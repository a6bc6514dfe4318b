from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "hearth.channels"
    label = "channels"
