"""The Team and Tokens pages: what each role sees and may do, and that nothing crosses workspaces."""

import re

from hearth.core.models import ApiToken, Invitation, Membership
from hearth.core.tokens import authenticate_api_token, create_api_token


def test_team_page_is_for_owners_and_managers(personas):
    for name in ("owner", "manager"):
        page = personas.client(name).get("/team/")
        assert page.status_code == 200
        assert personas.viewer.email in page.content.decode()
    for name in ("moderator", "analyst", "viewer"):
        assert personas.client(name).get("/team/").status_code == 403
    # Globex's owner sees Globex's team on /team/, never Acme's.
    outsider_page = personas.client("outsider").get("/team/").content.decode()
    assert personas.viewer.email not in outsider_page


def test_inviting_from_the_page_shows_the_link_and_lists_the_invitation(personas):
    client = personas.client("manager")
    response = client.post(
        "/team/invite/", {"email": "new@acme.test", "role": "analyst"}, follow=True
    )
    page = response.content.decode()
    assert "new@acme.test" in page
    link = re.search(r'value="(http[^"]+/team/join/[^"]+)"', page).group(1)
    assert Invitation.objects.get(email="new@acme.test").role == "analyst"
    # The invitee opens the link, creates an account and lands in Acme.
    from django.test import Client

    invitee = Client()
    path = link.split("8000", 1)[1] if "8000" in link else link
    assert invitee.get(path).status_code == 200
    weak = invitee.post(path, {"name": "Ned", "password": "12345678", "password2": "12345678"})
    assert (
        weak.status_code == 200
        and not Membership.objects.filter(user__email="new@acme.test").exists()
    )
    done = invitee.post(
        path, {"name": "Ned", "password": "purple-otter-42x", "password2": "purple-otter-42x"}
    )
    assert done.status_code == 302
    assert Membership.objects.get(user__email="new@acme.test").role == "analyst"
    assert invitee.get("/").status_code == 200


def test_a_manager_cannot_grant_owner_from_the_page(personas):
    viewer = Membership.objects.get(user=personas.viewer)
    personas.client("manager").post(f"/team/members/{viewer.pk}/role/", {"role": "owner"})
    viewer.refresh_from_db()
    assert viewer.role == "viewer"


def test_team_actions_on_another_workspaces_member_are_404(personas):
    outsider = Membership.objects.get(user=personas.outsider)
    client = personas.client("owner")
    assert client.post(f"/team/members/{outsider.pk}/remove/").status_code == 404
    assert client.post(f"/team/members/{outsider.pk}/role/", {"role": "viewer"}).status_code == 404
    assert Membership.objects.filter(pk=outsider.pk, role="owner").exists()


def test_removing_from_the_page_ends_the_teammates_access(personas):
    analyst_browser = personas.client("analyst")
    assert analyst_browser.get("/inbox/").status_code == 200
    member = Membership.objects.get(user=personas.analyst)
    personas.client("owner").post(f"/team/members/{member.pk}/remove/")
    assert analyst_browser.get("/inbox/").status_code == 302


def test_tokens_page_creates_shows_once_and_revokes(personas):
    client = personas.client("moderator")
    page = client.post(
        "/account/tokens/new/",
        {"name": "bot", "workspace": "acme", "scope": "read", "days": "30"},
        follow=True,
    ).content.decode()
    raw = re.search(r'value="(hth_[^"]+)"', page).group(1)
    token = authenticate_api_token(raw)
    assert token.scope == "read" and token.workspace == personas.workspace
    again = client.get("/account/tokens/").content.decode()
    assert raw not in again and "bot" in again  # the key is shown once only
    client.post(f"/account/tokens/{token.pk}/revoke/")
    assert authenticate_api_token(raw) is None


def test_tokens_page_cannot_touch_anothers_token_nor_a_foreign_workspace(personas):
    other, raw = create_api_token(
        personas.outsider,
        name="o",
        workspace=personas.other_workspace,
        by=personas.actor("outsider"),
    )
    client = personas.client("owner")
    assert client.post(f"/account/tokens/{other.pk}/revoke/").status_code == 404
    assert authenticate_api_token(raw) is not None
    response = client.post(
        "/account/tokens/new/", {"name": "x", "workspace": "globex", "scope": "write", "days": "30"}
    )
    assert response.status_code == 404
    assert not ApiToken.objects.filter(user=personas.owner).exists()
    assert "o" not in [t.name for t in ApiToken.objects.filter(user=personas.owner)]
