from django.apps import AppConfig


class AnimationConfig(AppConfig):
    name = "hearth.animation"
    label = "animation"

    def ready(self) -> None:
        from hearth.animation.actions.polls import apply_platform_poll_state
        from hearth.channels.polls import on_poll_state

        # Telegram pushes its polls' new states: the results count them live.
        on_poll_state(apply_platform_poll_state)
