"""The API contract: routes and schema names, object bodies, bounded numbers, deep JSON; and a
schemathesis run against the published OpenAPI schema (zero server errors, zero schema
violations), kept short so that it runs with every `make test`."""

from __future__ import annotations

import json

import pytest
from conftest import item

from hearth.conversations.models import Thread
from hearth.pipeline.ingest import ingest_batch


def _post(client, personas, path, body, role="owner"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        f"/api/v1/workspaces/acme{path}",
        raw,
        content_type="application/json",
        **personas.auth(role),
    )


def test_the_queue_bulk_route_is_not_shadowed_by_an_entry_id(client, personas):
    response = _post(client, personas, "/moderation/queue/bulk", {"ids": [], "verb": "approve"})
    assert response.status_code != 422 or "entry_id" not in response.content.decode()
    assert response.status_code in (200, 400)


def test_every_request_body_has_its_own_schema_name(client, personas):
    schema = personas.client("owner").get("/api/v1/openapi.json").json()
    paths = schema["paths"]

    def body(path):
        content = paths[f"/api/v1/workspaces/{{slug}}{path}"]["post"]["requestBody"]["content"]
        return content["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]

    assert body("/threads-bulk") == "ThreadsBulkIn"
    assert body("/moderation/queue/bulk") == "QueueBulkIn"
    assert body("/analysis/decisions") == "LabelDecisionIn"
    components = schema["components"]["schemas"]
    assert "action" in json.dumps(components["ThreadsBulkIn"])
    assert "verb" in json.dumps(components["QueueBulkIn"])


def test_a_body_that_is_not_an_object_is_a_400_and_changes_nothing(
    client, personas, channel, django_user_model
):
    ingest_batch(channel, [item("p1")])
    thread = Thread.objects.get()
    thread.assignee = personas.owner
    thread.save(update_fields=["assignee"])
    response = _post(client, personas, f"/threads/{thread.pk}/assign", [])
    assert response.status_code == 400
    thread.refresh_from_db()
    assert thread.assignee == personas.owner


@pytest.mark.parametrize("number", [2**63, 10**30, -(2**63) - 1])
def test_unbounded_integers_are_a_client_error(client, personas, number):
    for path in (f"/threads/{number}", f"/messages/{number}", f"/channels/{number}"):
        response = client.get(f"/api/v1/workspaces/acme{path}", **personas.auth("owner"))
        assert response.status_code in (400, 404, 422), path
    response = client.get(
        "/api/v1/workspaces/acme/messages", {"limit": number}, **personas.auth("owner")
    )
    assert response.status_code in (400, 422)


def test_deeply_nested_json_is_a_400(client, personas):
    response = _post(client, personas, "/moderation/rules", b"[" * 50_000 + b"]" * 50_000)
    assert response.status_code == 400
    deep = b'{"x":' * 5000 + b"{}" + b"}" * 5000
    response = _post(client, personas, "/moderation/rules", deep)
    assert response.status_code in (400, 422)


@pytest.mark.timeout(600)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(personas, channel):
    """Generated requests for every operation of the published schema (a few each, as the
    owner of a workspace with data): no 5xx, and every answer the schema documents conforms."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    from hearth.api.api import api
    from hearth.wsgi import application

    ingest_batch(channel, [item(f"p{i}", author=f"u{i}") for i in range(5)])
    from django.core import signals
    from django.db import close_old_connections

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = application
    # As Django's test client does: the test's transaction must survive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    headers = {"Authorization": personas.auth("owner")["HTTP_AUTHORIZATION"]}
    failures: list[str] = []
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=4,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case) -> None:
            if case.path_parameters and "slug" in case.path_parameters:
                case.path_parameters["slug"] = "acme"
            try:
                response = case.call_and_validate(
                    headers=headers, checks=[not_a_server_error, response_schema_conformance]
                )
                statuses.append(response.status_code)
            except Exception as exc:  # noqa: BLE001 — collected, reported together
                failures.append(f"{case.method} {case.path}: {exc}"[:600])

        run()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)
    assert failures == []
    assert sum(200 <= s < 300 for s in statuses) >= 20  # the run reached real answers
