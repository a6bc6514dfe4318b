from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "hearth.pipeline"
    label = "pipeline"

    def ready(self) -> None:
        from hearth.channels import outbox
        from hearth.pipeline import stages  # noqa: F401 - registers the stages' system check
        from hearth.pipeline.echo import record_sent_reply

        outbox.on_sent("reply", record_sent_reply)
