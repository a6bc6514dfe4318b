"""deploy/: the systemd units, the compose file, the Dockerfile and the env example stay true to
the code (real commands and options, real settings) and to the rules of docs/deployment.md
(exactly one beat and one stream runner, health checks, hardening, migrations run once)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNITS = DEPLOY / "systemd"
SETTINGS = (ROOT / "src" / "hearth" / "settings.py").read_text()
HEARTH_SERVICES = ("web", "worker", "beat", "stream", "migrate")


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as {section: {key: [values]}} (systemd allows a key several times)."""
    sections: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            assert line.endswith("]"), f"{path.name}: bad section line {raw!r}"
            current = line[1:-1]
            continue
        assert current is not None, f"{path.name}: {raw!r} comes before any section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: {raw!r} is not key=value"
        sections[current][key.strip()].append(value.strip())
    return sections


def assert_hearth_command(argv: list[str]) -> None:
    """`hearth <command> …` names a real command and options its parser accepts."""
    assert Path(argv[0]).name == "hearth", argv
    name, args = argv[1], argv[2:]
    assert name in get_commands(), f"`hearth {name}` is not a command"
    parser = load_command_class(get_commands()[name], name).create_parser("hearth", name)
    parser.parse_args(args)  # exits (SystemExit) on an unknown option


def setting_names(text: str) -> set[str]:
    return set(re.findall(r"\bHEARTH_[A-Z0-9_]+\b", text))


def known_setting(name: str) -> bool:
    return f'"{name}"' in SETTINGS or (
        name.endswith("_FILE") and f'env_secret("{name.removesuffix("_FILE")}")' in SETTINGS
    )


# --- systemd ---------------------------------------------------------------------------------

SERVICES = ["hearth-web", "hearth-worker", "hearth-beat", "hearth-stream"]


@pytest.mark.parametrize("name", SERVICES)
def test_each_long_running_unit_is_hardened_and_restarted(name):
    unit = parse_unit(UNITS / f"{name}.service")
    service = unit["Service"]
    assert service["User"] == ["hearth"]
    assert service["EnvironmentFile"] == ["/etc/hearth/hearth.env"]
    assert service["Restart"] == ["always"]
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == [value], f"{name}: {key}"
    assert service["StateDirectory"] == ["hearth"]  # the only place it may write
    assert service["Environment"] == ["HEARTH_DATA_DIR=/var/lib/hearth"]
    assert unit["Install"]["WantedBy"] == ["hearth.target"]
    assert_hearth_command(shlex.split(service["ExecStart"][0]))


def test_the_web_unit_runs_gunicorn_and_reloads_gracefully():
    service = parse_unit(UNITS / "hearth-web.service")["Service"]
    argv = shlex.split(service["ExecStart"][0])
    assert argv[1:4] == ["serve", "--server", "gunicorn"]
    assert service["Type"] == ["notify"]  # gunicorn's arbiter sends READY=1
    assert service["ExecReload"] == ["/bin/kill -HUP $MAINPID"]


def test_workers_leave_periodic_jobs_to_the_one_beat_unit():
    worker = parse_unit(UNITS / "hearth-worker.service")["Service"]
    assert "--no-beat" in shlex.split(worker["ExecStart"][0])
    beat = parse_unit(UNITS / "hearth-beat.service")["Service"]
    assert shlex.split(beat["ExecStart"][0])[1:] == ["beat"]


def test_the_health_timer_runs_the_health_check_of_web_and_worker():
    timer = parse_unit(UNITS / "hearth-health.timer")
    assert timer["Timer"]["OnUnitActiveSec"] == ["1min"]
    service = parse_unit(UNITS / "hearth-health.service")["Service"]
    argv = shlex.split(service["ExecStart"][0])
    assert_hearth_command(argv)
    assert argv[1] == "health" and "--worker" in argv and "--url" in argv
    target = parse_unit(UNITS / "hearth.target")["Unit"]["Wants"][0].split()
    assert sorted(target) == sorted([f"{s}.service" for s in SERVICES] + ["hearth-health.timer"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_systemd_analyze_verifies_every_unit(tmp_path):
    hearth = str(Path(sys.executable).parent / "hearth")
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/hearth/.venv/bin/hearth", hearth)
        (tmp_path / unit.name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    # An unknown key is only printed (exit 0): any output is a finding.
    assert done.returncode == 0 and done.stdout + done.stderr == "", done.stdout + done.stderr


# --- compose ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())


def test_compose_has_every_part_of_a_site(compose):
    assert set(compose["services"]) >= {
        "web",
        "worker",
        "beat",
        "stream",
        "migrate",
        "postgres",
        "redis",
        "proxy",
    }


def test_exactly_one_beat_and_one_stream_runner_and_several_web_and_workers(compose):
    services = compose["services"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["stream"]["deploy"]["replicas"] == 1
    assert services["web"]["deploy"]["replicas"] >= 2
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert "--no-beat" in services["worker"]["command"]


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if name == "migrate":
            continue
        test = service.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no health check"
        if test[0] == "CMD" and test[1] == "hearth":
            assert_hearth_command(test[1:])


def test_migrations_run_once_before_any_hearth_process(compose):
    services = compose["services"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["command"][:2] == ["hearth", "migrate"]
    for name in ("web", "worker", "beat", "stream"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_every_hearth_service_shares_the_secrets_and_the_data_volume(compose):
    for name in HEARTH_SERVICES:
        service = compose["services"][name]
        env = service["environment"]
        assert env["HEARTH_SECRET_KEY_FILE"] == "/run/secrets/hearth_secret_key", name
        assert env["HEARTH_DATABASE_URL_FILE"] == "/run/secrets/database_url", name
        assert env["HEARTH_BROKER_URL"].startswith("redis://"), name
        assert set(service["secrets"]) == {"hearth_secret_key", "database_url"}, name
        assert "hearth-data:/var/lib/hearth" in service["volumes"], name
        assert_hearth_command(service["command"])
    assert set(compose["secrets"]) == {"hearth_secret_key", "database_url", "postgres_password"}


def test_compose_and_units_name_only_real_settings(compose):
    text = (DEPLOY / "compose" / "compose.yaml").read_text()
    for unit in UNITS.iterdir():
        text += unit.read_text()
    unknown = {n for n in setting_names(text) if not known_setting(n)}
    unknown -= {"HEARTH_HTTP_PORT"}  # compose's own variable: the proxy's published port
    assert not unknown


# --- the env example and the image -------------------------------------------------------------


def test_the_env_example_names_real_settings_and_every_shared_one():
    text = (DEPLOY / "hearth.env.example").read_text()
    names = setting_names(text)
    assert not {n for n in names if not known_setting(n)}
    for needed in (
        "HEARTH_SECRET_KEY_FILE",
        "HEARTH_SECRET_KEY_FALLBACKS",
        "HEARTH_DATABASE_URL",
        "HEARTH_BROKER_URL",
        "HEARTH_ALLOWED_HOSTS",
        "HEARTH_CSRF_TRUSTED_ORIGINS",
        "HEARTH_PUBLIC_URL",
        "HEARTH_DATA_DIR",
        "HEARTH_SECURE_COOKIES",
        "HEARTH_HSTS_SECONDS",
        "HEARTH_WEB_PROCESSES",
        "HEARTH_WEB_THREADS",
    ):
        assert needed in names, needed
    assert re.search(r"^HEARTH_DEBUG=0$", text, re.M)
    assert not re.search(r"^HEARTH_SECRET_KEY=", text, re.M)  # never a key to copy


def test_the_dockerfile_installs_from_the_projects_own_pinned_files():
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", text, re.M)
    assert "-c requirements.lock" in text
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), f"COPY {name}: no such file in the repository"
    assert re.search(r"^USER hearth$", text, re.M)
