from django.apps import AppConfig


class ListeningConfig(AppConfig):
    name = "hearth.listening"
    label = "listening"
