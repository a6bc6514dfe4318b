from django.apps import AppConfig


class PipelineConfig(AppConfig):
    name = "hearth.pipeline"
    label = "pipeline"

    def ready(self) -> None:
        from hearth.pipeline import stages  # noqa: F401 - registers the stages' system check
