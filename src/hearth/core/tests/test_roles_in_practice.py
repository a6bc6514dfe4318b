import pytest


@pytest.mark.parametrize(
    "role, status",
    [("owner", 201), ("manager", 201), ("moderator", 403), ("analyst", 403), ("viewer", 403)],
)
def test_only_managers_create_channels_through_the_api(client, personas, role, status):
    response = client.post(
        "/api/v1/workspaces/acme/channels",
        data={"name": f"New {role}", "kind": "webhook"},
        content_type="application/json",
        **personas.auth(role),
    )
    assert response.status_code == status
    if status == 201:
        body = response.json()
        assert body["webhook_secret"] and body["webhook_path"].startswith("/hooks/")


@pytest.mark.parametrize(
    "role, status",
    [("owner", 200), ("manager", 200), ("moderator", 403), ("analyst", 403), ("viewer", 403)],
)
def test_only_managers_read_the_audit_log(personas, role, status):
    assert personas.client(role).get("/settings/audit/").status_code == status
