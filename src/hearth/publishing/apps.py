from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "hearth.publishing"
    label = "publishing"

    def ready(self) -> None:
        from hearth.channels import outbox
        from hearth.publishing.actions.publish import record_sent

        # A published variant gets the platform's id and URL as soon as the send succeeds.
        outbox.on_sent("post", record_sent)
