from django.urls import path

from hearth.web import account, security

app_name = "account"

urlpatterns = [
    path("tokens/", account.tokens_page, name="tokens"),
    path("tokens/new/", account.create_token, name="create_token"),
    path("tokens/<int:token_id>/revoke/", account.revoke_token, name="revoke_token"),
]

urlpatterns += [
    path("security/", security.security_page, name="security"),
    path("security/2fa/on/", security.enable_2fa, name="2fa_on"),
    path("security/2fa/codes/", security.new_codes, name="2fa_codes"),
    path("security/2fa/off/", security.disable, name="2fa_off"),
    path("reset/", security.PasswordResetView.as_view(), name="reset"),
    path("reset/sent/", security.PasswordResetDoneView.as_view(), name="reset_sent"),
    path(
        "reset/<uidb64>/<token>/",
        security.PasswordResetConfirmView.as_view(),
        name="reset_confirm",
    ),
    path("reset/done/", security.PasswordResetCompleteView.as_view(), name="reset_done"),
]
