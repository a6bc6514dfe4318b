from django.urls import path

from hearth.web import team

app_name = "team"

urlpatterns = [
    path("", team.team_page, name="page"),
    path("invite/", team.invite, name="invite"),
    path("members/<int:member_id>/role/", team.change_role, name="role"),
    path("members/<int:member_id>/remove/", team.remove, name="remove"),
    path(
        "invitations/<int:invitation_id>/revoke/", team.revoke_invitation, name="revoke_invitation"
    ),
    path("security/", team.require_2fa, name="require_2fa"),
    path("join/<str:key>/", team.join, name="accept"),
]
