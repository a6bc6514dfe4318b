"""`{% reply_to_post thread %}`: on an inbox thread, the post of the brand it replies to.

The inbox (conversations) sits below publishing and cannot import it; its thread template loads
this tag, which reads the link the pipeline stage made (hearth/publishing/stages.py).
"""

from __future__ import annotations

from typing import Any

from django import template

from hearth.publishing.models import PostThread

register = template.Library()


@register.inclusion_tag("publishing/_reply_to_post.html")
def reply_to_post(thread: Any) -> dict[str, Any]:
    link = (
        PostThread.objects.select_related("variant__post", "variant__channel")
        .filter(thread_id=thread.pk, variant__post__workspace_id=thread.workspace_id)
        .first()
    )
    return {"link": link, "variant": link.variant if link else None}
