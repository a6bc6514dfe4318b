"""Saved replies in real Chromium: create one with the live preview, see an unknown variable
refused, then use it in a conversation; the sidebar counts follow the list's polling."""

from __future__ import annotations

import re

from hearth.conversations.inbox import saved_view
from hearth.conversations.models import Thread
from hearth.demo.loader import DEMO_EMAIL, DEMO_PASSWORD

from .test_inbox import demo, login  # noqa: F401 - the demo fixture is reused


def test_create_a_saved_reply_and_use_it(page, live_server, demo, screenshot):  # noqa: F811
    base = live_server.url
    login(page, base, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto(f"{base}/inbox/")
    # The sidebar counts follow the list's refreshes (out-of-band swap), not only full page loads.
    # (The "inbox" view of the demo holds more than the 1,000 a count shows: watch a smaller one.)
    before = int(page.get_by_test_id("count-unanswered").inner_text().rstrip("+"))
    assert 0 < before < 1000
    closing = saved_view(demo, None, "unanswered").filter(status="open").first()
    Thread.objects.filter(pk=closing.pk).update(status="closed")
    page.locator("select[name=lang]").select_option("en")  # refreshes the list with htmx
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=count-unanswered]')?.textContent.trim() === '{before - 1}'"
    )
    screenshot("inbox-sidebar-live-counts")
    page.get_by_test_id("saved-replies-link").click()
    page.wait_for_url(re.compile(r"/inbox/saved-replies/$"))

    page.get_by_test_id("sr-title").fill("Order tracking")
    page.get_by_test_id("sr-lang").select_option("en")
    # The preview renders the variables for a sample member as one types; a typo is flagged at once.
    page.get_by_test_id("sr-text").fill(
        "Hi {{author.name}}, {{brand}} here: could you send us your {{order}} number?"
    )
    page.wait_for_selector("[data-testid=sr-unknown]")
    assert "Hi Zoé Martin, Lumio here" in page.get_by_test_id("sr-preview").inner_text()
    page.get_by_test_id("sr-save").click()
    page.wait_for_selector("[data-testid=sr-error]")
    assert "{{order}}" in page.get_by_test_id("sr-error").inner_text()
    screenshot("saved-replies-unknown-variable")

    page.get_by_test_id("sr-text").fill(
        "Hi {{author.name}}, {{brand}} here: could you send us your order number in DM?"
    )
    page.wait_for_function("() => !document.querySelector('[data-testid=sr-unknown]')")
    page.get_by_test_id("sr-save").click()
    page.wait_for_selector("[data-testid=sr-list] >> text=Order tracking")
    screenshot("saved-replies-page")

    # Use it in a conversation: the reply box fills with the author's name and the brand.
    thread = (
        Thread.objects.filter(workspace=demo, author__isnull=False)
        .order_by("-last_message_at")
        .first()
    )
    page.goto(f"{base}/inbox/t/{thread.pk}/")
    page.locator("#saved-reply").select_option(label="Order tracking")
    page.wait_for_function("() => document.getElementById('reply-text').value.length > 20")
    text = page.locator("#reply-text").input_value()
    assert "{{" not in text and text.startswith("Hi ") and "Lumio here" in text
