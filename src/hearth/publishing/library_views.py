"""The composer's workspace library pages: media (upload, alt text, the files themselves),
hashtag groups and snippets, short links (made from the composer, followed by anyone), and
RSS-to-post feeds. Thin: parse → access → one action → render."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from hearth.channels.models import Channel
from hearth.core.actions import ActionError
from hearth.core.actors import Actor
from hearth.core.http import AuthenticatedRequest
from hearth.core.permissions import Perm
from hearth.publishing import rules
from hearth.publishing.access import access_feed, access_media, access_post, access_snippet
from hearth.publishing.actions import feeds, library, shortlinks
from hearth.publishing.media import human_size
from hearth.publishing.models import (
    FeedMode,
    MediaAsset,
    PostFeed,
    PostVariant,
    ReviewLink,
    Snippet,
    SnippetKind,
)
from hearth.publishing.views import _membership, _publishing_channels, asset_json


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


# Media ----------------------------------------------------------------------------------------


@login_required
def media_library(request: AuthenticatedRequest) -> HttpResponse:
    """The library page; a POST uploads a file (from this page or the composer's panel)."""
    membership = _membership(request)
    if request.method == "POST":
        membership = _membership(request, Perm.PUBLISH)
        upload = request.FILES.get("file")
        try:
            if upload is None or upload.file is None:
                raise ActionError(_("Choose a file to upload."))
            asset = library.upload_media(
                membership.workspace,
                upload.file,
                name=upload.name or "",
                size=upload.size or 0,
                alt_text=request.POST.get("alt_text", ""),
                by=Actor.from_request(request),
            )
        except ActionError as exc:
            if _wants_json(request):
                return JsonResponse({"error": str(exc)}, status=400)
            flash.error(request, str(exc))
            return _back(request, reverse("publishing:media"))
        if _wants_json(request):
            return JsonResponse({"asset": asset_json(asset)}, status=201)
        if not asset.alt_text:
            flash.warning(
                request,
                _("“%(name)s” is in the library. Describe it (alt text) before it is published.")
                % {"name": asset.name},
            )
        else:
            flash.success(request, _("“%(name)s” is in the library.") % {"name": asset.name})
        return _back(request, reverse("publishing:media"))
    assets = MediaAsset.objects.filter(workspace=membership.workspace)[:500]
    return render(
        request,
        "publishing/media.html",
        {
            "assets": assets,
            "can_publish": membership.can(Perm.PUBLISH),
            "max_image": human_size(settings.HEARTH_MEDIA_MAX_IMAGE_MB * 1024 * 1024),
            "max_video": human_size(settings.HEARTH_MEDIA_MAX_VIDEO_MB * 1024 * 1024),
        },
    )


@login_required
@require_POST
def media_action(request: AuthenticatedRequest, asset_id: int) -> HttpResponse:
    """Change a file's alt text, or remove it from the library."""
    membership = _membership(request, Perm.PUBLISH)
    asset = access_media(membership, asset_id, Perm.PUBLISH)
    by = Actor.from_request(request)
    try:
        if request.POST.get("do") == "delete":
            library.delete_media(asset, by=by)
            message = _("“%(name)s” was removed from the library.") % {"name": asset.name}
            result: dict[str, Any] = {"deleted": asset_id}
        else:
            library.set_alt_text(asset, request.POST.get("alt_text", ""), by=by)
            message = _("The description of “%(name)s” is saved.") % {"name": asset.name}
            result = {"asset": asset_json(asset)}
    except ActionError as exc:
        if _wants_json(request):
            return JsonResponse({"error": str(exc)}, status=400)
        flash.error(request, str(exc))
        return _back(request, reverse("publishing:media"))
    if _wants_json(request):
        return JsonResponse(result)
    flash.success(request, message)
    return _back(request, reverse("publishing:media"))


def _serve(asset: MediaAsset) -> HttpResponseBase:
    path = library.media_root() / asset.path
    if not path.is_file():
        raise Http404("No such file.")
    response = FileResponse(path.open("rb"), content_type=asset.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def media_file(request: AuthenticatedRequest, asset_id: int) -> HttpResponseBase:
    """The file itself, to members of its workspace only, as the type found in its bytes."""
    return _serve(access_media(_membership(request), asset_id))


@require_GET
def review_media(request: HttpRequest, token: str, asset_id: int) -> HttpResponseBase:
    """A file the client's review link shows: only one attached to a post the link covers,
    only while the link is valid."""
    link = ReviewLink.find(token)
    if link is None:
        raise Http404("No such file.")
    shown = {
        m.get("asset_id")
        for media in PostVariant.objects.filter(post__in=link.posts.all()).values_list(
            "media", flat=True
        )
        for m in media or []
        if isinstance(m, dict)
    }
    if asset_id not in shown:
        raise Http404("No such file.")
    asset = MediaAsset.objects.filter(pk=asset_id, workspace_id=link.workspace_id).first()
    if asset is None:
        raise Http404("No such file.")
    return _serve(asset)


# Hashtag groups and snippets ------------------------------------------------------------------


@login_required
def snippets_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    if request.method == "POST":
        membership = _membership(request, Perm.PUBLISH)
        try:
            library.save_snippet(
                membership.workspace,
                kind=request.POST.get("kind", ""),
                name=request.POST.get("name", ""),
                body=request.POST.get("body", ""),
                by=Actor.from_request(request),
            )
            flash.success(request, _("Saved: it is in the composer's side panel."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return _back(request, reverse("publishing:snippets"))
    return render(
        request,
        "publishing/snippets.html",
        {
            "snippets": Snippet.objects.filter(workspace=membership.workspace),
            "kinds": SnippetKind.choices,
            "can_publish": membership.can(Perm.PUBLISH),
        },
    )


@login_required
@require_POST
def snippet_action(request: AuthenticatedRequest, snippet_id: int) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    snippet = access_snippet(membership, snippet_id)
    by = Actor.from_request(request)
    try:
        if request.POST.get("do") == "delete":
            library.delete_snippet(snippet, by=by)
            flash.success(request, _("Deleted."))
        else:
            library.save_snippet(
                membership.workspace,
                kind=request.POST.get("kind", snippet.kind),
                name=request.POST.get("name", ""),
                body=request.POST.get("body", ""),
                by=by,
                snippet=snippet,
            )
            flash.success(request, _("Saved: it is in the composer's side panel."))
    except ActionError as exc:
        flash.error(request, str(exc))
    return _back(request, reverse("publishing:snippets"))


# Short links ----------------------------------------------------------------------------------


@login_required
@require_POST
def shorten(request: AuthenticatedRequest) -> HttpResponse:
    """The composer's "Shorten the links" of one variant: its text and link with every address
    replaced by Hearth's short link (UTM of the variant's platform and the post's campaign)."""
    membership = _membership(request, Perm.PUBLISH)
    channels = {c.pk: c for c in _publishing_channels(membership)}
    raw = request.POST.get("channel", "")
    channel = channels.get(int(raw)) if raw.isdigit() else None
    if channel is None:
        return JsonResponse({"error": _("Choose a channel of this workspace.")}, status=400)
    raw_post = request.POST.get("post_id", "")
    post = access_post(membership, raw_post, Perm.PUBLISH) if raw_post else None
    by = Actor.from_request(request)
    campaign = request.POST.get("campaign", "")
    try:
        text, made = shortlinks.shorten_text(
            membership.workspace,
            request.POST.get("text", ""),
            channel=channel,
            by=by,
            campaign=campaign,
            post=post,
        )
        link = request.POST.get("link", "").strip()
        if link and not shortlinks.is_short(link):
            short = shortlinks.shorten(
                membership.workspace, link, channel=channel, by=by, campaign=campaign, post=post
            )
            made.append(short)
            link = shortlinks.short_url(short)
    except ActionError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(
        {
            "text": text,
            "link": link,
            "links": [
                {"short": shortlinks.short_url(s), "target": s.target, "code": s.code} for s in made
            ],
        }
    )


@never_cache
def follow_short_link(request: HttpRequest, code: str) -> HttpResponse:
    """Public: `/l/<code>` → 302 to the target with its UTM parameters; the click is counted
    (per link and day; robots not), and nothing about the visitor is stored."""
    link = shortlinks.follow(code[:16], user_agent=request.headers.get("User-Agent", ""))
    if link is None:
        raise Http404("No such link.")
    response = redirect(link.target)
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


# RSS-to-post feeds ----------------------------------------------------------------------------


def _channel_ids(request: HttpRequest) -> list[int]:
    return [int(c) for c in request.POST.getlist("channels") if c.isdigit()]


@login_required
def feeds_page(request: AuthenticatedRequest) -> HttpResponse:
    membership = _membership(request)
    if request.method == "POST":
        membership = _membership(request, Perm.PUBLISH)
        try:
            feeds.save_feed(
                membership.workspace,
                name=request.POST.get("name", ""),
                url=request.POST.get("url", ""),
                channel_ids=_channel_ids(request),
                mode=request.POST.get("mode", FeedMode.DRAFT),
                template=request.POST.get("template", "") or "{title} {link}",
                by=Actor.from_request(request),
            )
            flash.success(request, _("The feed is saved: Hearth reads it within a few minutes."))
        except ActionError as exc:
            flash.error(request, str(exc))
        return redirect("publishing:feeds")
    channels = [
        c
        for c in Channel.objects.filter(workspace=membership.workspace, deleted_at=None)
        if rules.can_publish(c)
    ]
    return render(
        request,
        "publishing/feeds.html",
        {
            "feeds": PostFeed.objects.filter(workspace=membership.workspace).prefetch_related(
                "channels"
            ),
            "channels": channels,
            "modes": FeedMode.choices,
            "can_publish": membership.can(Perm.PUBLISH),
        },
    )


@login_required
@require_POST
def feed_action(request: AuthenticatedRequest, feed_id: int) -> HttpResponse:
    membership = _membership(request, Perm.PUBLISH)
    feed = access_feed(membership, feed_id)
    by = Actor.from_request(request)
    do = request.POST.get("do", "")
    try:
        if do == "delete":
            feeds.delete_feed(feed, by=by)
            flash.success(request, _("The feed was removed; the posts it made stay."))
        elif do in ("pause", "resume"):
            feeds.save_feed(
                membership.workspace,
                name=feed.name,
                url=feed.url,
                channel_ids=[c.pk for c in feed.channels.all()],
                mode=feed.mode,
                template=feed.template,
                is_active=do == "resume",
                by=by,
                feed=feed,
            )
            flash.success(request, _("Saved."))
        else:
            made = feeds.poll_feed(feed.pk)
            feed.refresh_from_db()
            if feed.last_error:
                flash.error(request, feed.last_error)
            else:
                flash.success(request, _("Read: %(count)s new post(s).") % {"count": made})
    except ActionError as exc:
        flash.error(request, str(exc))
    return redirect("publishing:feeds")
