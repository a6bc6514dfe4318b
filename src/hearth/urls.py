from django.urls import include, path

from hearth.analytics.urls import public_urlpatterns as public_analytics_urls
from hearth.animation.urls import public_urlpatterns as public_animation_urls
from hearth.api.api import api
from hearth.feedback.urls import public_urlpatterns as public_idea_urls
from hearth.moderation.urls import public_urlpatterns as public_moderation_urls
from hearth.pipeline.meta import meta_webhook
from hearth.pipeline.views import retry as retry_quarantined
from hearth.pipeline.webhooks import platform_webhook, webhook
from hearth.pipeline.xhooks import x_webhook
from hearth.publishing.library_views import follow_short_link

urlpatterns = [
    path("", include("hearth.web.urls")),
    path("listening/", include("hearth.listening.urls")),
    path("inbox/", include("hearth.conversations.urls")),
    path("moderation/", include("hearth.moderation.urls")),
    path("channels/", include("hearth.channels.urls")),
    path("team/", include("hearth.web.team_urls")),
    path("account/", include("hearth.web.account_urls")),
    path("settings/", include("hearth.web.settings_urls")),
    path("publishing/", include("hearth.publishing.urls")),
    path("animation/", include("hearth.animation.urls")),
    path("", include(public_animation_urls)),
    path("feedback/", include("hearth.feedback.urls")),
    path("ideas/", include(public_idea_urls)),
    path("reports/", include("hearth.reports.urls")),
    path("strategy/", include("hearth.strategy.urls")),
    path("analytics/", include("hearth.analytics.urls")),
    path("", include(public_analytics_urls)),
    path("community/", include("hearth.community.urls")),
    path("", include(public_moderation_urls)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("l/<str:code>", follow_short_link, name="short_link"),
    path("api/v1/", api.urls),
    path("quarantine/<int:entry_id>/retry/", retry_quarantined, name="quarantine_retry"),
    path("hooks/meta/<str:key>", meta_webhook, name="meta-webhook"),
    path("hooks/x/<str:key>", x_webhook, name="x-webhook"),
    path("hooks/<str:key>", webhook, name="webhook"),
    path("hooks/<str:kind>/<str:key>", platform_webhook, name="platform-webhook"),
]
