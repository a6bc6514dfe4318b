from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "hearth.reports"
    label = "reports"

    def ready(self) -> None:
        from hearth.reports import checks  # noqa: F401 - registers its deploy check
