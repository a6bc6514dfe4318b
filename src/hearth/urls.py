from django.urls import include, path

from hearth.api.api import api
from hearth.moderation.urls import public_urlpatterns as public_moderation_urls
from hearth.pipeline.webhooks import platform_webhook, webhook

urlpatterns = [
    path("", include("hearth.web.urls")),
    path("listening/", include("hearth.listening.urls")),
    path("inbox/", include("hearth.conversations.urls")),
    path("moderation/", include("hearth.moderation.urls")),
    path("", include(public_moderation_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("hooks/<str:key>", webhook, name="webhook"),
    path("hooks/<str:kind>/<str:key>", platform_webhook, name="platform-webhook"),
]
