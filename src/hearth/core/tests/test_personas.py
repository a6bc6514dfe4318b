"""The shared personas are what other tests take them for: real users, their roles, an outsider."""

import pytest
from conftest import PASSWORD, Personas
from django.test import Client

from hearth.core.models import Membership


@pytest.mark.parametrize("name", list(Personas.CAST))
def test_each_persona_signs_in_with_the_known_password(personas, name):
    client = Client()
    response = client.post("/login/", {"username": Personas.CAST[name][1], "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_acme_roles_and_the_outsider_belongs_to_globex_only(personas):
    acme = dict(
        Membership.objects.filter(workspace=personas.workspace).values_list("user__email", "role")
    )
    assert acme == {
        email: role for name, (role, email) in Personas.CAST.items() if name != "outsider"
    }
    assert list(
        Membership.objects.filter(user=personas.outsider).values_list("workspace__slug", "role")
    ) == [("globex", "owner")]


def test_clients_and_tokens_act_as_their_persona(personas):
    assert personas.client("viewer").get("/settings/audit/").status_code == 403
    assert personas.client("manager").get("/settings/audit/").status_code == 200
    listed = personas.client("outsider").get("/api/v1/workspaces", **personas.auth("outsider"))
    assert listed.json() == [{"slug": "globex", "name": "Globex", "role": "owner"}]
    assert personas.client("analyst").get("/api/v1/workspaces").status_code == 401
    assert personas.actor("moderator").user == personas.moderator
