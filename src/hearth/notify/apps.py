from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "hearth.notify"
    label = "notify"

    def ready(self) -> None:
        from hearth.channels import outbox
        from hearth.notify import transports

        outbox.register_transport("email", transports.send_email)
        outbox.register_transport("webhook", transports.send_webhook)
        outbox.register_transport("slack", transports.send_slack)
