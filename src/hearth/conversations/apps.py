from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "hearth.conversations"
    label = "conversations"
