from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "hearth.feedback"
    label = "feedback"

    def ready(self) -> None:
        from hearth.channels import outbox
        from hearth.feedback import forwarding

        outbox.register_transport("github", forwarding.send_github)
        outbox.register_transport("jira", forwarding.send_jira)
        outbox.on_sent(forwarding.FORWARD_ACTION, forwarding.record_link)
