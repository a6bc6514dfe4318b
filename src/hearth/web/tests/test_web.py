from conftest import item

from hearth.core.models import AuditEvent
from hearth.pipeline.ingest import ingest_batch


def test_login_and_logout_are_audited_with_the_address(client, workspace, make_member):
    user = make_member(workspace, "owner", email="camille@acme.test")
    response = client.post(
        "/login/",
        {"username": "camille@acme.test", "password": "correct-horse-battery"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor, event.ip, event.via) == (user, "203.0.113.9", "web")
    client.post("/logout/")
    assert AuditEvent.objects.filter(action="auth.logout", actor=user).exists()
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_clear_message(client, workspace, make_member):
    make_member(workspace, "owner", email="camille@acme.test")
    page = client.post(
        "/login/", {"username": "camille@acme.test", "password": "nope"}
    ).content.decode()
    assert "did not match" in page


def test_dashboard_counts_per_channel_and_htmx_partial(
    client, workspace, make_member, make_channel
):
    client.force_login(make_member(workspace))
    forum = make_channel(workspace, name="Forum")
    ingest_batch(forum, [item(f"p{i}", author=f"u{i}") for i in range(3)])
    page = client.get("/").content.decode()
    assert 'hx-trigger="every 3s"' in page
    partial = client.get("/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial
    assert 'data-testid="total-messages">3<' in partial


def test_switching_workspace_changes_the_dashboard(
    client, workspace, other_workspace, make_member, make_channel, actor
):
    from hearth.core.actions import add_member

    user = make_member(workspace, "owner", email="free@lance.test")
    add_member(other_workspace, "free@lance.test", role="moderator", by=actor)
    make_channel(other_workspace, name="Globex page")
    client.force_login(user)
    assert "Globex page" not in client.get("/").content.decode()
    client.post("/workspace/switch/", {"workspace": "globex"})
    assert "Globex page" in client.get("/").content.decode()


def test_french_interface(client, workspace, make_member):
    client.force_login(make_member(workspace))
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get("/").content.decode()
    assert "Tableau de bord" in page
    assert "En attente de réponse" in page


def test_user_without_workspace_gets_guidance(client, db):
    from hearth.core.models import User

    user = User.objects.create_user("lonely@example.org", "pw-pw-pw-pw")
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert "hearth workspace create" in response.content.decode()
