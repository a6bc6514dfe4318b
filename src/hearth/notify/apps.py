from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "hearth.notify"
    label = "notify"

    def ready(self) -> None:
        from hearth.channels import health, outbox
        from hearth.notify import actions, transports

        outbox.register_transport("email", transports.send_email)
        outbox.register_transport("webhook", transports.send_webhook)
        outbox.register_transport("slack", transports.send_slack)
        health.on_needs_reauth(actions.notify_channel_needs_reauth)
        health.on_expiry_soon(actions.notify_channel_access_expiring)
