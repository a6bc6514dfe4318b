from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "hearth.demo"
    label = "demo"

    def ready(self) -> None:
        from hearth.core import login_hints
        from hearth.demo.loader import demo_login_hint

        login_hints.register(demo_login_hint)
