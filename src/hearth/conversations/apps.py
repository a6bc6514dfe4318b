from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConversationsConfig(AppConfig):
    name = "hearth.conversations"
    label = "conversations"

    def ready(self) -> None:
        from hearth.conversations.search import ensure_sqlite_fts

        post_migrate.connect(ensure_sqlite_fts, sender=self, dispatch_uid="conversations-fts")
