"""The composer's library in real Chromium: upload an image from the side panel, attach it to a
variant, see the live check ask for its alt text until it is described, insert a hashtag
group, shorten the variant's link to Hearth's own /l/ link, and let the draft save itself."""

from __future__ import annotations

import io
import re

from conftest import PASSWORD
from PIL import Image

from hearth.core.actors import Actor
from hearth.publishing.actions.library import save_snippet
from hearth.publishing.models import MediaAsset, Post


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 400), (232, 89, 12)).save(out, format="PNG")
    return out.getvalue()


def test_upload_attach_describe_insert_and_shorten(
    page, browser, live_server, personas, make_channel, screenshot, screenshot_dir, tmp_path
):
    base = live_server.url
    demo = make_channel(personas.workspace, name="Lumio demo", kind="demo")
    save_snippet(
        personas.workspace,
        kind="hashtags",
        name="Lighting",
        body="lamp design cosy",
        by=Actor.system(),
    )
    image = tmp_path / "dusk.png"
    image.write_bytes(_png())

    page.goto(f"{base}/login/")
    page.get_by_label("E-mail address").fill("manon@acme.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/publishing/compose/")
    page.get_by_test_id("title").fill("Dusk")
    page.get_by_test_id(f"channel-{demo.slug}").check()
    page.get_by_test_id(f"text-{demo.slug}").fill("Our lamp at dusk: https://lumio.example/halo ")

    page.get_by_test_id("upload-file").set_input_files(str(image))
    page.get_by_test_id("upload").click()
    page.wait_for_selector("[data-testid^=asset-]")
    asset = MediaAsset.objects.get()
    assert asset.content_type == "image/png" and asset.alt_text == ""
    page.get_by_test_id(f"attach-{asset.pk}-{demo.pk}").click()
    problems = page.get_by_test_id(f"problems-{demo.slug}")
    assert "describe “dusk.png” (alt text)" in problems.inner_text()
    page.get_by_test_id(f"alt-{asset.pk}").fill("An orange lamp glowing at dusk")
    page.get_by_test_id(f"save-alt-{asset.pk}").click()
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=problems-{demo.slug}]')?.innerText === ''"
    )
    asset.refresh_from_db()
    assert asset.alt_text == "An orange lamp glowing at dusk"
    assert page.locator(f"[data-testid=preview-{demo.pk}] img").count() == 1

    page.get_by_test_id(f"text-{demo.slug}").focus()
    page.get_by_text("Lighting", exact=True).click()
    page.get_by_test_id(f"shorten-{demo.slug}").click()
    page.wait_for_function(
        f"() => document.querySelector('[data-testid=text-{demo.slug}]')?.value.includes('/l/')"
    )
    text = page.get_by_test_id(f"text-{demo.slug}").input_value()
    assert re.search(r"/l/[A-Za-z0-9]{7}", text) and "#lamp #design #cosy" in text
    assert "lumio.example/halo" not in text
    page.wait_for_selector("[data-testid=autosave][data-saved]")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=autosave]').textContent.includes('…')"
    )
    post = Post.objects.get()
    variant = post.variants.get()
    assert [m["asset_id"] for m in variant.media] == [asset.pk]
    assert "/l/" in variant.text
    assert post.short_links.count() == 1

    screenshot("publishing-composer-library-en-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("publishing-composer-library-en-390")
    edit = f"{base}/publishing/posts/{post.pk}/edit/"
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
        context.add_cookies([{"name": "django_language", "value": "fr", "url": base}])
        french = context.new_page()
        french.goto(f"{base}/login/")
        french.locator("input[name=username], input[type=email]").first.fill("manon@acme.test")
        french.locator("input[type=password]").fill(PASSWORD)
        french.locator("form button[type=submit]").last.click()
        french.wait_for_url(f"{base}/")
        french.goto(edit)
        french.wait_for_selector(f"[data-testid=attached-item-{asset.pk}]")
        assert "Médiathèque" in french.content()
        french.screenshot(
            path=str(screenshot_dir / f"publishing-composer-library-fr-{width}.png"),
            full_page=True,
        )
        context.close()
