from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "hearth.channels"
    label = "channels"

    def ready(self) -> None:
        from hearth.channels import checks  # noqa: F401 - registers its deploy check
