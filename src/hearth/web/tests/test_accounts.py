"""Signing in: throttling, the audit of attempts, the second factor, password reset and change."""

import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hearth.core.models import AuditEvent
from hearth.core.tokens import authenticate_api_token, create_api_token

PASSWORD = "correct-horse-battery"


@pytest.fixture
def low_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3


def sign_in(client, email, password, **extra):
    return client.post("/login/", {"username": email, "password": password}, **extra)


def test_failed_and_successful_sign_ins_are_audited(personas):
    client = Client()
    sign_in(client, personas.viewer.email, "wrong-password")
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.data["email"] == personas.viewer.email and failed.ip == "127.0.0.1"
    assert sign_in(client, personas.viewer.email, PASSWORD).status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", actor=personas.viewer).exists()
    # Both show in Acme's audit log, not in Globex's.
    acme_log = personas.client("owner").get("/settings/audit/").content.decode()
    assert 'title="auth.login_failed"' in acme_log and 'title="auth.login"' in acme_log
    sign_in(Client(), personas.outsider.email, "wrong-password")
    globex_log = personas.client("outsider").get("/settings/audit/").content.decode()
    assert globex_log.count('title="auth.login_failed"') == 1


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(
    personas, low_limit
):
    client = Client()
    for _ in range(3):
        sign_in(client, personas.viewer.email, "wrong-password")
    locked = sign_in(client, personas.viewer.email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # Another account from another address still signs in.
    other = sign_in(Client(REMOTE_ADDR="10.0.0.9"), personas.analyst.email, PASSWORD)
    assert other.status_code == 302


def test_an_address_is_locked_after_failures_on_several_accounts(personas, low_limit):
    client = Client(REMOTE_ADDR="10.1.1.1")
    for email in ("a@x.test", "b@x.test", "c@x.test"):
        sign_in(client, email, "nope")
    assert sign_in(client, personas.viewer.email, PASSWORD).status_code == 429
    assert (
        sign_in(Client(REMOTE_ADDR="10.1.1.2"), personas.viewer.email, PASSWORD).status_code == 302
    )


def test_the_lockout_page_is_translated(personas, low_limit):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    for _ in range(4):
        response = sign_in(client, personas.viewer.email, "wrong-password")
    assert "Trop de connexions" in response.content.decode()


def enable_2fa(client, user):
    client.get("/account/security/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page = client.post(
        "/account/security/2fa/on/", {"code": f"{totp(device.bin_key):06d}"}, follow=True
    )
    codes = re.search(r"<pre>(.*?)</pre>", page.content.decode(), re.S).group(1).split()
    return TOTPDevice.objects.get(user=user), codes


def test_two_factor_sign_in_with_the_app_or_a_recovery_code(personas, settings):
    # django-otp delays the next try after a wrong code (1 s, 2 s, 4 s…): off for this test.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    owner = personas.client("owner")
    device, codes = enable_2fa(owner, personas.owner)
    assert device.confirmed and len(codes) == 10
    browser = Client()
    assert sign_in(browser, personas.owner.email, PASSWORD)["Location"] == "/login/verify/"
    assert browser.get("/").status_code == 302  # not signed in yet
    assert browser.post("/login/verify/", {"code": "000000"}).status_code == 200
    assert browser.post("/login/verify/", {"code": codes[0]}).status_code == 302
    assert browser.get("/").status_code == 200
    # A recovery code works once.
    again = Client()
    sign_in(again, personas.owner.email, PASSWORD)
    assert again.post("/login/verify/", {"code": codes[0]}).status_code == 200
    # The code of the next 30 s step (the one used to turn it on cannot be replayed).
    assert (
        again.post("/login/verify/", {"code": f"{totp(device.bin_key, drift=1):06d}"}).status_code
        == 302
    )


def test_wrong_codes_are_throttled_and_end_the_attempt(personas):
    owner = personas.client("owner")
    device, codes = enable_2fa(owner, personas.owner)
    browser = Client()
    sign_in(browser, personas.owner.email, PASSWORD)
    assert browser.post("/login/verify/", {"code": "000000"}).status_code == 200
    # Right after a wrong code, even a right one waits (django-otp's throttle).
    assert browser.post("/login/verify/", {"code": codes[1]}).status_code == 200
    for _ in range(3):
        last = browser.post("/login/verify/", {"code": "000000"})
    assert last.status_code == 302 and last["Location"] == "/login/"
    assert (
        AuditEvent.objects.filter(action="auth.login_failed", data__reason="second_factor").count()
        == 5
    )


def test_a_workspace_can_require_two_factor(personas):
    personas.client("owner").post("/team/security/", {"require_2fa": "on"})
    personas.workspace.refresh_from_db()
    assert personas.workspace.require_2fa
    viewer = personas.client("viewer")
    response = viewer.get("/inbox/")
    assert response.status_code == 302 and "/account/security/" in response["Location"]
    enable_2fa(viewer, personas.viewer)
    assert viewer.get("/inbox/").status_code == 200
    # A manager cannot switch it (owners manage the workspace); nor can it be turned off meanwhile.
    personas.client("manager").post("/team/security/", {})
    personas.workspace.refresh_from_db()
    assert personas.workspace.require_2fa
    viewer.post("/account/security/2fa/off/", {"password": PASSWORD})
    assert TOTPDevice.objects.filter(user=personas.viewer).exists()


def test_password_reset_by_email_revokes_tokens(personas):
    _, raw = create_api_token(
        personas.viewer, name="t", workspace=personas.workspace, by=personas.actor("viewer")
    )
    client = Client()
    client.post("/account/reset/", {"email": personas.viewer.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/account/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    url = form.redirect_chain[-1][0]
    weak = client.post(url, {"new_password1": "password", "new_password2": "password"})
    assert weak.status_code == 200
    assert (
        client.post(
            url, {"new_password1": "violet-kettle-92", "new_password2": "violet-kettle-92"}
        ).status_code
        == 302
    )
    personas.viewer.refresh_from_db()
    assert personas.viewer.check_password("violet-kettle-92")
    assert authenticate_api_token(raw) is None


def test_password_change_keeps_this_session_and_checks_strength(personas):
    client = personas.client("analyst")
    client.post(
        "/account/security/",
        {
            "form": "password",
            "old_password": PASSWORD,
            "new_password1": "abc",
            "new_password2": "abc",
        },
    )
    personas.analyst.refresh_from_db()
    assert personas.analyst.check_password(PASSWORD)
    client.post(
        "/account/security/",
        {
            "form": "password",
            "old_password": PASSWORD,
            "new_password1": "tangerine-loft-77",
            "new_password2": "tangerine-loft-77",
        },
    )
    personas.analyst.refresh_from_db()
    assert personas.analyst.check_password("tangerine-loft-77")
    assert client.get("/inbox/").status_code == 200
