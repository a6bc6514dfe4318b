"""`hearth check --deploy`: each of Hearth's checks fails on the bad setting, names the HEARTH_*
variable and the fix, and passes once it is set."""

from __future__ import annotations

import os
from io import StringIO

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import DatabaseError

from hearth.core import checks as deploy
from hearth.core import secrets as vault

STRONG = "Zq8-x!pL0vR3mT6yW9cB2nF5hJ7kD4sG1aQ" + "k7Hw2Pn9Lx4Rb6Tc8Vm3"


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [m.id or "" for m in messages]


@pytest.fixture
def production(settings, tmp_path):
    """A configuration every check accepts; each test breaks one thing."""
    settings.DEBUG = False
    settings.SECRET_KEY = STRONG
    settings.HEARTH_SECRET_KEY_SOURCE = "environment"
    settings.ALLOWED_HOSTS = ["hearth.example.org"]
    settings.HEARTH_PUBLIC_URL = "https://hearth.example.org"
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True
    settings.HEARTH_WEB_SERVER = "gunicorn"
    settings.HEARTH_WEB_PROCESSES = 1
    return settings


@pytest.mark.parametrize(
    "check",
    [
        deploy.check_debug,
        deploy.check_secret_key,
        deploy.check_allowed_hosts,
        deploy.check_public_url,
        deploy.check_https,
        deploy.check_scale,
        deploy.check_data_dir,
    ],
)
def test_a_production_configuration_passes_each_check(production, check):
    assert check(None) == []


def test_debug_on_is_an_error_naming_hearth_debug(production):
    production.DEBUG = True
    [message] = deploy.check_debug(None)
    assert message.id == "hearth.E201" and message.level == checks.ERROR
    assert "HEARTH_DEBUG=0" in message.hint


@pytest.mark.parametrize(
    "key", ["change-me-" + "x" * 50, "django-insecure-" + STRONG, "short-key", "ab" * 40]
)
def test_a_placeholder_or_weak_secret_key_is_an_error(production, key):
    production.SECRET_KEY = key
    [message] = deploy.check_secret_key(None)
    assert message.id == "hearth.E202" and message.level == checks.ERROR
    assert "HEARTH_SECRET_KEY" in message.hint and "token_urlsafe" in message.hint


def test_a_key_generated_in_the_data_dir_warns_that_hosts_do_not_share_it(production):
    production.HEARTH_SECRET_KEY_SOURCE = "data dir"
    [message] = deploy.check_secret_key(None)
    assert message.id == "hearth.W203"
    assert "secret_key" in message.msg and "every host" in message.hint


@pytest.mark.parametrize("hosts", [["127.0.0.1", "localhost"], ["*"], []])
def test_allowed_hosts_left_at_loopback_or_wildcard_is_an_error(production, hosts):
    production.ALLOWED_HOSTS = hosts
    [message] = deploy.check_allowed_hosts(None)
    assert message.id == "hearth.E204" and "HEARTH_ALLOWED_HOSTS=" in message.hint


def test_a_public_url_on_loopback_warns(production):
    production.HEARTH_PUBLIC_URL = "http://127.0.0.1:8000"
    [message] = deploy.check_public_url(None)
    assert message.id == "hearth.W205" and "HEARTH_PUBLIC_URL" in message.hint


def test_https_settings_off_each_warn_with_their_variable(production):
    production.SESSION_COOKIE_SECURE = production.CSRF_COOKIE_SECURE = False
    production.SECURE_HSTS_SECONDS = 0
    production.SECURE_SSL_REDIRECT = False
    found = deploy.check_https(None)
    assert ids(found) == ["hearth.W207", "hearth.W208", "hearth.W209"]
    hints = " ".join(m.hint for m in found)
    for variable in ("HEARTH_SECURE_COOKIES=1", "HEARTH_HSTS_SECONDS=", "HEARTH_SSL_REDIRECT=1"):
        assert variable in hints


def test_several_web_processes_on_sqlite_warn(production, monkeypatch):
    monkeypatch.setattr(deploy, "_uses_sqlite", lambda: True)
    production.HEARTH_WEB_PROCESSES = 4
    [message] = deploy.check_scale(None)
    assert message.id == "hearth.W206" and "HEARTH_DATABASE_URL=postgres" in message.hint
    production.HEARTH_WEB_SERVER = "waitress"  # one process, whatever HEARTH_WEB_PROCESSES says
    assert deploy.check_scale(None) == []


def test_the_filesystem_broker_with_postgresql_warns(production, monkeypatch):
    monkeypatch.setattr(deploy, "_uses_sqlite", lambda: False)
    production.CELERY_BROKER_URL = "filesystem://"
    [message] = deploy.check_scale(None)
    assert message.id == "hearth.W210" and "HEARTH_BROKER_URL=redis://" in message.hint
    production.CELERY_BROKER_URL = "redis://cache.internal:6379/0"
    assert deploy.check_scale(None) == []


def test_a_data_dir_that_cannot_be_written_is_an_error(production, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    production.HEARTH_DATA_DIR = locked / "missing"
    [message] = deploy.check_data_dir(None)
    assert message.id == "hearth.E212" and "HEARTH_DATA_DIR" in message.hint
    assert str(locked / "missing") in message.msg


@pytest.mark.django_db
def test_a_migrated_database_passes(production):
    assert deploy.check_database(None) == []


@pytest.mark.django_db
def test_pending_migrations_are_an_error_telling_to_migrate_once(production, monkeypatch):
    class Pending:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda s: []})()})()

        def migration_plan(self, targets):
            return [("core", "0099_new"), ("channels", "0042_new")]

    monkeypatch.setattr(deploy, "MigrationExecutor", Pending)
    [message] = deploy.check_database(None)
    assert message.id == "hearth.E213" and message.msg.startswith("2 migration(s)")
    assert "hearth migrate" in message.hint


def test_an_unreachable_database_is_an_error_naming_the_url_variable(production, monkeypatch):
    def refuse(connection):
        raise DatabaseError('connection to server at "db" failed: Connection refused')

    monkeypatch.setattr(deploy, "MigrationExecutor", refuse)
    [message] = deploy.check_database(None)
    assert message.id == "hearth.E211" and "Connection refused" in message.msg
    assert "HEARTH_DATABASE_URL" in message.hint


@pytest.mark.django_db
def test_check_deploy_runs_hearths_checks_and_silences_djangos_repeats(settings):
    settings.DEBUG = True
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "hearth.W230"]
    out = StringIO()
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy", stdout=out, stderr=out)
    report = str(raised.value)
    assert "hearth.E201" in report and "HEARTH_DEBUG=0" in report
    assert "security.W018" not in report  # Django's DEBUG warning would say the same


@pytest.mark.django_db
def test_stored_secrets_of_another_key_are_an_error(channel, production):
    from hearth.channels.checks import check_stored_secrets

    channel.set_webhook_secret("s3cret")
    channel.save()
    assert check_stored_secrets(None) == []
    production.SECRET_KEY = "another-host-key-" + STRONG
    vault._fernet.cache_clear()
    try:
        [message] = check_stored_secrets(None)
    finally:
        vault._fernet.cache_clear()
    assert message.id == "hearth.E220" and f"ids {channel.pk}" in message.msg
    assert "HEARTH_SECRET_KEY_FALLBACKS" in message.hint
    # Listing the key they were saved with as a fallback opens them again.
    production.SECRET_KEY_FALLBACKS = [STRONG]
    vault._fernet.cache_clear()
    try:
        assert check_stored_secrets(None) == []
    finally:
        vault._fernet.cache_clear()


def test_the_pdf_engine_check_warns_when_weasyprint_cannot_load(monkeypatch):
    import builtins

    from hearth.reports.checks import check_pdf_engine

    assert check_pdf_engine(None) == []  # pango is on this machine (docs/reports.md)
    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pango)
    [message] = check_pdf_engine(None)
    assert message.id == "hearth.W230" and "libpango" in message.msg


def test_operators_silence_a_check_with_hearth_silenced_checks():
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "HEARTH_SILENCED_CHECKS": "hearth.W203,hearth.W205"}
    env.pop("HEARTH_DATABASE_URL", None)
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "hearth"),
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SILENCED_SYSTEM_CHECKS)",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "'hearth.W203', 'hearth.W205'" in done.stdout, done.stderr
