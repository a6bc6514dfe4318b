"""What the audit log's and the moderation log's action codes mean, in the reader's language.

The stored codes stay stable English identifiers (they are an API: exports, filters); only
their display is translated. An unknown code is shown as it is.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "auth.login": _("signed in"),
    "auth.logout": _("signed out"),
    "workspace.create": _("created the workspace"),
    "member.add": _("added a teammate"),
    "member.role": _("changed a teammate's role"),
    "token.create": _("created an API token"),
    "analysis.decision": _("corrected a label"),
    "analysis.retrain": _("retrained the analysis"),
    "analysis.thresholds": _("changed the abuse and spam thresholds"),
    "analytics.objective.create": _("created an objective"),
    "analytics.objective.delete": _("deleted an objective"),
    "analytics.conversion_secret.rotate": _("made a new conversion secret"),
    "channel.create": _("added a channel"),
    "channel.update": _("changed a channel"),
    "channel.delete": _("removed a channel"),
    "channel.pause": _("paused a channel"),
    "channel.resume": _("resumed a channel"),
    "channel.test": _("tested a channel's connection"),
    "channel.sync": _("synced a channel"),
    "channel.identity": _("learnt the brand's account"),
    "channel.brand_accounts": _("changed the brand's accounts"),
    "channel.needs_reauth": _("channel needs re-authorisation"),
    "channel.reconnect": _("reconnected a channel"),
    "channel.rotate_secret": _("rotated a webhook secret"),
    "crisis.open": _("crisis room opened"),
    "crisis.status": _("changed a crisis's status"),
    "crisis.checklist": _("ticked the crisis checklist"),
    "inbox.settings": _("changed the inbox settings"),
    "listening.query.create": _("created a listening query"),
    "listening.query.update": _("changed a listening query"),
    "listening.query.delete": _("deleted a listening query"),
    "listening.settings": _("changed crisis detection"),
    "notify.destination.add": _("added an alert destination"),
    "notify.destination.update": _("changed an alert destination"),
    "notify.destination.delete": _("deleted an alert destination"),
    "notify.destination.test": _("sent a test alert"),
    "notify.quiet_period": _("changed the alerts' quiet period"),
    "notify.delivery.retry": _("retried an alert delivery"),
    "outbox.retry": _("sent again"),
    "outbox.confirm": _("confirmed a send"),
    "saved_reply.create": _("created a saved reply"),
    "saved_reply.update": _("changed a saved reply"),
    "saved_reply.delete": _("deleted a saved reply"),
    "thread.assign": _("assigned a conversation"),
    "thread.unassign": _("unassigned a conversation"),
    "thread.bulk": _("changed conversations in bulk"),
    "thread.handoff": _("handed off to customer service"),
    "thread.note": _("added a note"),
    "thread.reply": _("replied"),
    "thread.status": _("changed a conversation's status"),
    "thread.tags": _("changed tags"),
    # The moderation log's codes (also in the audit log, prefixed "moderation.").
    "hide": _("hid a message"),
    "unhide": _("made a message visible again"),
    "approve": _("approved"),
    "escalate": _("escalated"),
    "reply": _("replied"),
    "label.confirm": _("confirmed the label"),
    "label.overturn": _("marked the label wrong"),
    "sanction.warning": _("warned"),
    "sanction.block": _("blocked temporarily"),
    "sanction.exclusion": _("excluded"),
    "sanction.lift": _("lifted a sanction"),
    "sanction.expire": _("sanction expired"),
    "appeal.submit": _("appealed"),
    "appeal.uphold": _("upheld a sanction on appeal"),
    "appeal.overturn": _("overturned a sanction on appeal"),
    "alert": _("alerted the team"),
    "ladder": _("changed the sanctions ladder"),
    "netiquette.publish": _("published the netiquette"),
    "person.link": _("linked identities"),
    "person.unlink": _("unlinked identities"),
    "person.import": _("imported identity links"),
    "rule.create": _("created a rule"),
    "rule.update": _("changed a rule"),
    "rule.delete": _("deleted a rule"),
    "rule.move": _("reordered the rules"),
    "todo.done": _("did a manual step on the platform"),
}


def action_label(code: str) -> str:
    key = code.removeprefix("moderation.")
    return str(ACTION_LABELS.get(code) or ACTION_LABELS.get(key) or code)
