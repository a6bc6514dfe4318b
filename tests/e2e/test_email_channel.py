"""An e-mail channel in real Chromium, against real local IMAP and SMTP servers: add the
mailbox through the guided form, test the connection, sync it, find the member's mail in the
inbox; the form in French at phone width."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD

from hearth.channels.models import Channel


@pytest.fixture
def mailbox():
    from hearth.channels.testing_mail import BRAND, MailServers, make_mail

    servers = MailServers().start()
    servers.deliver(
        BRAND,
        make_mail(
            sender="Ana <ana@example.test>",
            to=BRAND,
            subject="Ma lampe clignote",
            text="Bonjour, ma lampe clignote en rouge depuis la mise à jour.",
        ),
    )
    yield servers
    servers.stop()


def _sign_in(page, base):
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("olivia@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def test_add_a_mailbox_test_it_and_see_its_first_mail(
    page, live_server, personas, mailbox, screenshot
):
    from hearth.channels.testing_mail import BRAND, BRAND_PASSWORD

    base = live_server.url
    _sign_in(page, base)
    page.goto(f"{base}/channels/add/")
    page.get_by_test_id("platform-email").click()
    page.wait_for_url(f"{base}/channels/add/email/")
    caps = page.get_by_test_id("capabilities")
    assert caps.locator("[data-cap=reply] .no").count() == 0
    assert caps.locator("[data-cap=ban] .no").count() == 1  # e-mail has no ban, and says so

    page.get_by_label("Name", exact=False).first.fill("Support mailbox")
    page.get_by_label("Mailbox address").fill(BRAND)
    page.get_by_label("Password or app password").fill(BRAND_PASSWORD)
    page.get_by_label("IMAP server").fill("127.0.0.1")
    page.get_by_label("IMAP port").fill(str(mailbox.imap_port))
    page.get_by_label("IMAP security").select_option("none")
    page.get_by_label("SMTP server").fill("127.0.0.1")
    page.get_by_label("SMTP port").fill(str(mailbox.smtp_port))
    page.get_by_label("SMTP security").select_option("none")
    page.get_by_test_id("test-connection").click()
    checks = page.get_by_test_id("checks")
    checks.wait_for()
    assert checks.get_attribute("data-ok") == "1"
    text = checks.inner_text()
    assert "Signed in to 127.0.0.1." in text and "IDLE" in text
    assert "replies and private messages can be sent" in text
    screenshot("channels-add-email-tested")
    assert not Channel.objects.exists(), "the test stored nothing"

    page.get_by_test_id("save-channel").click()
    page.wait_for_url(re.compile(rf"{base}/channels/\d+/$"))
    page.get_by_test_id("sync-now").click()
    page.wait_for_selector("text=Sync started.")
    assert "1 message" in page.get_by_test_id("message-count").first.inner_text()
    screenshot("channels-email-detail")

    page.get_by_role("link", name="Inbox").click()
    page.wait_for_url(re.compile(r"/inbox/"))
    page.wait_for_selector("text=Ma lampe clignote")
    screenshot("channels-email-first-mail-in-inbox")


def test_the_mailbox_form_in_french_at_phone_width(browser, live_server, personas):
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        base = live_server.url
        page.goto(f"{base}/login/")
        page.locator("input[type=email], input[name=username]").first.fill("olivia@acme.test")
        page.locator("input[type=password]").first.fill(PASSWORD)
        page.locator("form button[type=submit]").first.click()
        page.wait_for_url(f"{base}/")
        page.goto(f"{base}/channels/add/email/")
        assert page.get_by_text("Mot de passe ou mot de passe d’application").count() >= 1
        assert page.get_by_text("Sécurité IMAP").count() >= 1
        # The form itself fits the phone (the top bar's own overflow is the layout's, not the
        # form's); every field and the buttons are within the 390 px.
        for test_id in ("test-connection", "save-channel"):
            box = page.get_by_test_id(test_id).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390, test_id
        box = page.get_by_label("Mot de passe ou mot de passe d’application").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
        screenshot_path = "channels-add-email-fr-390"
        page.screenshot(path=f"var/screenshots/{screenshot_path}.png", full_page=True)
    finally:
        context.close()
