"""`hearth post …`: compose, schedule, approve and publish posts, and pull the crisis brake."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from hearth.channels.actions import find_channel
from hearth.conversations.models import Message
from hearth.core.access import workspace_by_slug
from hearth.core.actors import Actor
from hearth.core.management.base import HearthCommand
from hearth.core.management.operator import check_operator
from hearth.core.models import User, Workspace
from hearth.core.permissions import Perm
from hearth.publishing.actions import approvals, brake, planning, posts, publish, ugc
from hearth.publishing.actions.bulk import import_posts_csv
from hearth.publishing.models import Post, SharePermission

READ = {"list", "show"}
APPROVE = {"link"}


def _when(value: str) -> datetime:
    parsed = parse_datetime(value)
    if parsed is None:
        raise CommandError(f"'{value}' is not a date and time: write it like 2027-03-01T09:30.")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(HearthCommand):
    help = (
        "Compose, schedule, approve and publish a workspace's posts; pause and resume publishing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)

        def verb(name: str, help_text: str, *, post: bool = True) -> ArgumentParser:
            command = sub.add_parser(name, help=help_text)
            command.add_argument("--workspace", required=True)
            if post:
                command.add_argument("--post", type=int, required=True, help="the post's id")
            command.add_argument(
                "--as",
                dest="as_user",
                default=None,
                help="Act as this teammate (checks their role).",
            )
            return command

        listing = verb("list", "List posts (planned first).", post=False)
        listing.add_argument("--state", default="")
        listing.add_argument("--json", action="store_true")
        show = verb("show", "Show a post: variants, states, comments.")
        show.add_argument("--json", action="store_true")
        create = verb("create", "Write a draft.", post=False)
        create.add_argument(
            "--variant",
            action="append",
            required=True,
            metavar="CHANNEL=TEXT",
            help="a channel (slug or name) and its text; repeat it for each channel",
        )
        create.add_argument("--title", default="")
        create.add_argument("--campaign", default="")
        create.add_argument("--label", action="append", default=[])
        create.add_argument(
            "--class",
            dest="content_class",
            default="value",
            choices=("value", "engagement", "promotion"),
        )
        create.add_argument("--at", default="", help="when to publish it (then it is scheduled)")
        schedule = verb("schedule", "Schedule (or move) a post.")
        schedule.add_argument(
            "--at", required=True, help="2027-03-01T09:30 (the workspace's time zone)"
        )
        verb("unschedule", "Take a post off the schedule.")
        verb("queue", "Plan a post at the next free slot of each of its channels.")
        verb("submit", "Submit a draft for review.")
        approve = verb("approve", "Approve the step a post waits for.")
        approve.add_argument("--comment", default="")
        changes = verb("request-changes", "Send a post in review back to its author.")
        changes.add_argument("--comment", required=True)
        verb("confirm", "An unconfirmed post is on the platform after all.").add_argument(
            "--external-id", default=""
        )
        verb("send-again", "Send a failed or unconfirmed post again (once).")
        verb("drop", "After a pause: a held post will not go out.")
        link = verb("link", "Create a client review link for posts.", post=False)
        link.add_argument("--posts", required=True, help="post ids, separated by commas")
        link.add_argument("--name", required=True, help="who it is for")
        link.add_argument("--days", type=int, default=14)
        pause = verb(
            "pause", "Pause all publishing of the workspace (the crisis brake).", post=False
        )
        pause.add_argument("--reason", default="")
        verb("resume", "Resume publishing; lists the held posts to reschedule or drop.", post=False)
        bulk = verb(
            "import", "Import posts from a CSV file (docs/publishing.md, Bulk).", post=False
        )
        bulk.add_argument("file")
        sub.add_parser(
            "publish-due", help="Publish the due posts now (the worker does it every 30 s)."
        )
        ugc = sub.add_parser(
            "ugc", help="Sharing members' content: ask permission, record it, re-post with credit."
        ).add_subparsers(dest="ugc_verb", required=True)

        def ugc_verb(name: str, help_text: str) -> ArgumentParser:
            command = ugc.add_parser(name, help=help_text)
            command.add_argument("--workspace", required=True)
            command.add_argument(
                "--as",
                dest="as_user",
                default=None,
                help="Act as this teammate (checks their role).",
            )
            return command

        ugc_list = ugc_verb("list", "List the permissions asked (newest first).")
        ugc_list.add_argument(
            "--state", default="", choices=("", "requested", "granted", "refused")
        )
        ugc_list.add_argument("--json", action="store_true")
        ask = ugc_verb("ask", "Ask a member permission to re-post their message.")
        ask.add_argument("--message", type=int, required=True, help="the member's message id")
        ask.add_argument("--text", default="", help="the request (default: Hearth's, translated)")
        answer = ugc_verb("answer", "Record the member's answer, given elsewhere.")
        answer.add_argument("--permission", type=int, required=True)
        answer.add_argument("--granted", choices=("yes", "no"), required=True)
        answer.add_argument("--note", default="")
        repost = ugc_verb("repost", "Make a draft re-posting the member's message, with credit.")
        repost.add_argument("--permission", type=int, required=True)
        repost.add_argument(
            "--channel", action="append", required=True, help="a channel (slug or name); repeat"
        )
        repost.add_argument("--comment", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        verb = options["verb"]
        if verb == "publish-due":
            counts = publish.publish_due()
            self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
            return
        workspace = workspace_by_slug(options["workspace"])
        if verb == "ugc":
            sub_verb = options["ugc_verb"]
            check_operator(
                options["as_user"], workspace, Perm.VIEW if sub_verb == "list" else Perm.PUBLISH
            )
            email = options["as_user"]
            user = User.objects.filter(email=email.strip().lower()).first() if email else None
            getattr(self, f"_ugc_{sub_verb}")(workspace, options, Actor.cli(user))
            return
        perm = (
            Perm.VIEW if verb in READ else Perm.APPROVE_POSTS if verb in APPROVE else Perm.PUBLISH
        )
        if verb in ("approve", "request-changes"):
            perm = Perm.VIEW  # the action applies the workflow: named approvers or APPROVE_POSTS
        check_operator(options["as_user"], workspace, perm)
        email = options["as_user"]
        user = User.objects.filter(email=email.strip().lower()).first() if email else None
        by = Actor.cli(user)
        getattr(self, "_" + verb.replace("-", "_"))(workspace, options, by)

    def _post(self, workspace: Workspace, options: dict[str, Any]) -> Post:
        post = Post.objects.filter(workspace=workspace, pk=options["post"]).first()
        if post is None:
            raise CommandError(
                f"There is no post {options['post']} in workspace '{workspace.slug}'."
            )
        return post

    def _row(self, post: Post) -> dict[str, Any]:
        return {
            "id": post.pk,
            "title": post.title,
            "state": post.state,
            "scheduled_at": post.scheduled_at.isoformat() if post.scheduled_at else None,
            "content_class": post.content_class,
            "campaign": post.campaign,
            "detail": post.state_detail,
            "variants": [
                {
                    "channel": v.channel.slug,
                    "state": v.state,
                    "text": v.text,
                    "external_id": v.external_id,
                    "external_url": v.external_url,
                    "detail": v.detail,
                }
                for v in post.variants.all()
            ],
        }

    def _list(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        qs = Post.objects.filter(workspace=workspace).prefetch_related("variants__channel")
        if options["state"]:
            qs = qs.filter(state=options["state"])
        rows = [self._row(p) for p in qs.order_by("scheduled_at", "id")[:500]]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for r in rows:
            channels = ",".join(v["channel"] for v in r["variants"])
            self.stdout.write(
                f"{r['id']:>6}  {r['state']:<11}  {r['scheduled_at'] or '-':<25}  {channels:<24}  {r['title']}"
            )
        self.stdout.write(f"{len(rows)} posts.")

    def _show(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        post = self._post(workspace, options)
        row = self._row(post)
        row["comments"] = [
            {"by": c.author_label, "kind": c.kind, "text": c.text} for c in post.comments.all()
        ]
        row["problems"] = posts.post_problems(post) if post.is_editable else []
        if options["json"]:
            self.stdout.write(json.dumps(row, ensure_ascii=False))
            return
        self.stdout.write(f"Post {post.pk} · {post.state} · {row['scheduled_at'] or 'not dated'}")
        for v in row["variants"]:
            self.stdout.write(f"  {v['channel']}: {v['state']} {v['external_id']} {v['detail']}")
        for p in row["problems"]:
            self.stdout.write(f"  ! {p}")

    def _create(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        variants = []
        for value in options["variant"]:
            name, sep, text = value.partition("=")
            if not sep:
                raise CommandError(f"'{value}' is not CHANNEL=TEXT.")
            channel = find_channel(workspace, name.strip())
            variants.append(posts.VariantIn(channel_id=channel.pk, text=text))
        post = posts.create_post(
            workspace,
            posts.PostIn(
                variants=variants,
                title=options["title"],
                campaign=options["campaign"],
                labels=options["label"],
                content_class=options["content_class"],
            ),
            by=by,
        )
        self.stdout.write(f"Created draft {post.pk}.")
        if options["at"]:
            posts.schedule_post(post, _when(options["at"]), by=by)
            self.stdout.write(f"Scheduled post {post.pk} at {options['at']}.")

    def _schedule(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        post = posts.schedule_post(self._post(workspace, options), _when(options["at"]), by=by)
        self.stdout.write(f"Scheduled post {post.pk} at {post.scheduled_at:%Y-%m-%d %H:%M %Z}.")

    def _queue(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        for placed in planning.queue_post(self._post(workspace, options), by=by):
            channel = placed.variants.get().channel
            self.stdout.write(
                f"Post {placed.pk} ({channel.name}) is queued at "
                f"{placed.scheduled_at:%Y-%m-%d %H:%M %Z}."
            )

    def _unschedule(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        posts.unschedule_post(self._post(workspace, options), by=by)
        self.stdout.write(f"Post {options['post']} is off the schedule.")

    def _submit(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        post = approvals.submit_for_review(self._post(workspace, options), by=by)
        self.stdout.write(f"Post {post.pk} is {post.state}.")

    def _approve(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        post = approvals.approve_post(
            self._post(workspace, options), by=by, text=options["comment"]
        )
        self.stdout.write(f"Post {post.pk} is {post.state}.")

    def _request_changes(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        post = approvals.request_changes(
            self._post(workspace, options), by=by, text=options["comment"]
        )
        self.stdout.write(f"Post {post.pk} is back to {post.state}.")

    def _variants_to(self, workspace: Workspace, options: dict[str, Any]) -> list[Any]:
        return list(
            self._post(workspace, options).variants.select_related("post", "outbox_item", "channel")
        )

    def _confirm(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        done = 0
        for variant in self._variants_to(workspace, options):
            if variant.state == "unconfirmed":
                publish.confirm_published(variant, by=by, external_id=options["external_id"])
                done += 1
        self.stdout.write(f"Confirmed {done} variant(s).")

    def _send_again(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        done = 0
        for variant in self._variants_to(workspace, options):
            if variant.state in ("unconfirmed", "failed"):
                publish.send_again(variant, by=by)
                done += 1
        self.stdout.write(f"Sending {done} variant(s) again.")

    def _drop(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        brake.drop_held(self._post(workspace, options), by=by)
        self.stdout.write(f"Post {options['post']} will not go out; it is back in the drafts.")

    def _link(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        ids = [int(i) for i in options["posts"].split(",") if i.strip().isdigit()]
        chosen = list(Post.objects.filter(workspace=workspace, pk__in=ids))
        if len(chosen) != len(ids):
            raise CommandError(f"Some of these posts are not in workspace '{workspace.slug}'.")
        link, token = approvals.create_review_link(
            workspace, options["name"], chosen, by=by, days=options["days"]
        )
        self.stdout.write(
            f"Review link {link.pk} for {link.name}, valid until {link.expires_at:%Y-%m-%d}:\n"
            f"{settings.HEARTH_PUBLIC_URL}{reverse('publishing:review', args=[token])}"
        )

    def _pause(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        held = brake.pause_publishing(workspace, by=by, reason=options["reason"])
        self.stdout.write(f"Publishing is paused in {workspace.slug}: {held} scheduled posts held.")

    def _resume(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        held = brake.resume_publishing(workspace, by=by)
        self.stdout.write(f"Publishing is resumed in {workspace.slug}. Held posts to decide:")
        for post in held:
            when = f"{post.scheduled_at:%Y-%m-%d %H:%M}" if post.scheduled_at else "-"
            self.stdout.write(f"  {post.pk:>6}  {when}  {post.title}")
        self.stdout.write(
            "Reschedule one with `hearth post schedule --post ID --at …`, or drop it with "
            "`hearth post drop --post ID`."
        )

    def _import(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        with open(options["file"], encoding="utf-8") as handle:
            result = import_posts_csv(workspace, handle.read(), by=by)
        for error in result.errors:
            self.stderr.write(str(error))
        if result.errors:
            raise CommandError(f"Nothing was imported: {len(result.errors)} line(s) to fix.")
        scheduled = sum(1 for p in result.posts if p.state == "scheduled")
        self.stdout.write(
            f"Imported {len(result.posts)} posts ({scheduled} scheduled, "
            f"{len(result.posts) - scheduled} drafts)."
        )

    # Sharing members' content ---------------------------------------------------------------

    def _permission(self, workspace: Workspace, options: dict[str, Any]) -> SharePermission:
        found = (
            SharePermission.objects.filter(workspace=workspace, pk=options["permission"])
            .select_related("message")
            .first()
        )
        if found is None:
            raise CommandError(
                f"There is no permission {options['permission']} in workspace '{workspace.slug}'."
            )
        return found

    def _ugc_list(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        qs = SharePermission.objects.filter(workspace=workspace).prefetch_related("posts")
        if options["state"]:
            qs = qs.filter(state=options["state"])
        rows = [
            {
                "id": p.pk,
                "message_id": p.message_id,
                "credit": p.credit,
                "state": p.state,
                "requested_at": p.requested_at.isoformat(),
                "answer": p.answer,
                "post_ids": [post.pk for post in p.posts.all()],
            }
            for p in qs[:500]
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False))
            return
        for r in rows:
            self.stdout.write(
                f"{r['id']:>6}  {r['state']:<9}  message {r['message_id']:<8}  {r['credit']}"
            )
        self.stdout.write(f"{len(rows)} permissions.")

    def _ugc_ask(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        message = Message.objects.filter(workspace=workspace, pk=options["message"]).first()
        if message is None:
            raise CommandError(
                f"There is no message {options['message']} in workspace '{workspace.slug}'."
            )
        permission = ugc.ask_permission_to_share(message, by=by, text=options["text"])
        self.stdout.write(
            f"Permission {permission.pk}: asked {permission.credit} ({permission.state})."
        )

    def _ugc_answer(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        permission = ugc.record_answer(
            self._permission(workspace, options),
            options["granted"] == "yes",
            by=by,
            note=options["note"],
        )
        self.stdout.write(f"Permission {permission.pk} is {permission.state}.")

    def _ugc_repost(self, workspace: Workspace, options: dict[str, Any], by: Actor) -> None:
        channels = [find_channel(workspace, name.strip()).pk for name in options["channel"]]
        post = ugc.post_from_member(
            self._permission(workspace, options), channels, by=by, comment=options["comment"]
        )
        self.stdout.write(f"Created draft {post.pk}, crediting {post.share_permission}.")
