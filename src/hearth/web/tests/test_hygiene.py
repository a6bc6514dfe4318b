"""Security hygiene: headers, private caching, API docs behind the login, search that takes any
text, a production configuration that `hearth check --deploy` accepts, a clear error for a host
whose secret key differs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import item
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.database import migrated_data_dir

from hearth.channels.models import Channel
from hearth.conversations.search import matching_ids
from hearth.core import secrets as vault
from hearth.pipeline.ingest import ingest_batch


def test_pages_carry_a_content_security_policy_and_no_framing(client, personas):
    response = personas.client("viewer").get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert client.get("/login/")["Content-Security-Policy"]


def test_authenticated_pages_and_api_answers_are_private_and_not_stored(client, personas):
    for response in (
        personas.client("viewer").get("/inbox/"),
        client.get("/api/v1/workspaces", **personas.auth("viewer")),
    ):
        assert set(response["Cache-Control"].replace(" ", "").split(",")) >= {"private", "no-store"}


SEARCHES = [
    "@john_doe",
    "#black_friday",
    '"quoted phrase"',
    "'single",
    "a AND b OR NOT c",
    "NEAR(a b)",
    "*",
    "-x +y",
    "col:value",
    "l'été",
    "x₂ ² ½",
    "\\",
    "😀 emoji",
    "a & b | !c <-> d:*",
]


@pytest.mark.parametrize("query", SEARCHES)
def test_search_accepts_any_text(personas, channel, client, query):
    ingest_batch(channel, [item("m1", "hello john_doe about black_friday")])
    response = client.get("/api/v1/workspaces/acme/search", {"q": query}, **personas.auth("viewer"))
    assert response.status_code == 200
    page = personas.client("viewer").get("/inbox/", {"q": query})
    assert page.status_code == 200


def test_underscored_handles_and_tags_are_found(channel):
    ingest_batch(channel, [item("m1", "hello @john_doe about #black_friday deals")])
    assert len(matching_ids(channel.workspace, "@john_doe")) == 1
    assert len(matching_ids(channel.workspace, "#black_friday")) == 1


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(query=st.text(max_size=40))
def test_search_never_fails_on_random_text(channel, query):
    matching_ids(channel.workspace, query)


def test_a_production_configuration_passes_check_deploy(tmp_path):
    env = {
        **os.environ,
        "HEARTH_DATA_DIR": str(tmp_path),
        "HEARTH_SECRET_KEY": "k" * 20 + "Zq8-x!pL0vR3mT6yW9cB2nF5hJ7kD4sG1aQ",
        "HEARTH_DEBUG": "0",
        "HEARTH_ALLOWED_HOSTS": "hearth.example.org",
        "HEARTH_SECURE_COOKIES": "1",
        "HEARTH_SSL_REDIRECT": "1",
        "HEARTH_HSTS_SECONDS": "31536000",
        "HEARTH_HSTS_INCLUDE_SUBDOMAINS": "1",
        "HEARTH_HSTS_PRELOAD": "1",
        "HEARTH_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "HEARTH_PUBLIC_URL": "https://hearth.example.org",
    }
    env.pop("HEARTH_DATABASE_URL", None)
    env.pop(
        "DJANGO_ALLOW_ASYNC_UNSAFE", None
    )  # set by the browser tests' conftest, never in production
    hearth = str(Path(sys.executable).parent / "hearth")
    # Pending migrations are an error of `check --deploy` (hearth.E213): deploy, then check.
    migrated_data_dir(tmp_path)
    subprocess.run([hearth, "migrate", "-v0"], env=env, check=True, timeout=300)
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "hearth"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_a_host_with_another_secret_key_says_so_instead_of_a_500(personas, channel, settings):
    channel.set_webhook_secret("s3cret")
    Channel.objects.filter(pk=channel.pk).update(
        webhook_secret_encrypted=channel.webhook_secret_encrypted, kind="webhook"
    )
    settings.SECRET_KEY = "another-host-key-" + "x" * 40
    vault._fernet.cache_clear()
    try:
        response = personas.client("owner").post(
            f"/hooks/{channel.webhook_key}",
            b"{}",
            content_type="application/json",
            HTTP_X_HEARTH_SIGNATURE="sha256=00",
        )
        assert response.status_code == 503
        assert "HEARTH_SECRET_KEY" in response.json()["error"]
    finally:
        vault._fernet.cache_clear()
