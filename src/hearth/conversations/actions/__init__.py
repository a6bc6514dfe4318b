"""Write paths of the inbox, one module per verb family.

- `reply`: reply to a thread through the outbox, record a sent reply, retry a failed send.
- `assign`, `status`, `tags`, `notes`: the thread's assignee, status, tags and internal notes.
- `bulk`: one of those verbs over a selection of threads.
- `handoff`: forward a thread to customer service.
- `presence`: who has a thread open (collision detection).
- `settings`: the inbox settings (business hours, handoff targets).
- `saved_replies`: the workspace's saved replies.

Every action checks its actor first (`hearth.core.access.check_actor`: views and the API check
too, but an action must be safe whoever calls it), writes, records an audit entry in the same
transaction, and fires side effects after commit. Callers import a verb from its module; this
package re-exports nothing.
"""
