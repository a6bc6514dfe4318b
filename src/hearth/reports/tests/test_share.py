"""Share links: a public, read-only page that expires and can be revoked."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from hearth.reports.actions import create_share_link, revoke_share_link


def test_a_share_link_shows_the_report_without_login(data, make_report, actor):
    report = make_report(sections=["kpis", "top_posts"])
    link, token = create_share_link(report, days=7, by=actor)
    anonymous = Client()
    page = anonymous.get(f"/reports/shared/{token}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "November" in body and "Our new lamp is here" in body
    assert page["X-Robots-Tag"] == "noindex"
    pdf = anonymous.get(f"/reports/shared/{token}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    css = anonymous.get(f"/reports/shared/{token}/brand.css")
    assert b"--report-primary:#1f4e79" in css.content
    # Only the hash of the token's nonce is stored.
    assert token not in link.token_hash


def test_an_expired_link_no_longer_works(data, make_report, actor):
    report = make_report()
    link, token = create_share_link(report, days=1, by=actor)
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()
    page = Client().get(f"/reports/shared/{token}/")
    assert page.status_code == 404
    assert "no longer works" in page.content.decode()
    assert Client().get(f"/reports/shared/{token}/report.pdf").status_code == 404


def test_a_revoked_link_no_longer_works(data, make_report, actor):
    report = make_report()
    link, token = create_share_link(report, days=30, by=actor)
    assert Client().get(f"/reports/shared/{token}/").status_code == 200
    revoke_share_link(link, by=actor)
    assert Client().get(f"/reports/shared/{token}/").status_code == 404


def test_a_tampered_token_is_refused(data, make_report, actor):
    report = make_report()
    _link, token = create_share_link(report, days=30, by=actor)
    assert Client().get(f"/reports/shared/{token[:-2]}xx/").status_code == 404
    assert Client().get("/reports/shared/nonsense/").status_code == 404


def test_a_link_must_expire(data, make_report, actor):
    import pytest

    from hearth.core.actions import ActionError

    with pytest.raises(ActionError, match="days must be between 1 and 365"):
        create_share_link(make_report(), days=0, by=actor)
    with pytest.raises(ActionError):
        create_share_link(make_report(name="Other"), days=1000, by=actor)
