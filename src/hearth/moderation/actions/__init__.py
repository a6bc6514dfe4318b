"""Write paths of moderation, one module per verb family.

- `netiquette`: publish the community guidelines; `check_article` validates a citation.
- `rules`: automatic rules (validate, save, order, delete, try on recent messages).
- `queue`: what the pipeline flags (`record_flags`) and the decisions on each entry (approve,
  escalate, hide, reply, sanction, judge the label, in bulk).
- `hide`: hide and unhide messages, under the criticism guard.
- `sanctions`: the ladder, applied to a person; lift and expire.
- `appeals`: a member's appeal and another moderator's decision.
- `identities`: link the accounts of one person across channels.
- `alerts`: the rule action "alert".
- `reports`: what the reports count (criticism removed, decisions per moderator).
Shared by them: `settings` (the workspace's moderation settings), `events` (the moderation
log), `enforce` (outbox or to-do), `entries` (queue-entry state), `links` (public and signed
links).

Every action checks the actor's MODERATE permission in the workspace first
(`hearth.core.access.check_actor`), writes, records a `ModerationEvent` (the moderation log)
and an audit entry in the same transaction, and sends what must reach a platform through the
outbox (after commit). Where a platform cannot hide or ban, an `EnforcementTodo` tells a
human what to do by hand. Time is a parameter (`now`) wherever it matters, so tests walk the
ladder over simulated weeks. Callers import a verb from its module; this package re-exports
nothing.
"""
