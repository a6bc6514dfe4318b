from django.apps import AppConfig


class AnimationConfig(AppConfig):
    name = "hearth.animation"
    label = "animation"
