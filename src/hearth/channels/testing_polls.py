"""Native polls on the local fake platform (`testing.FakePlatform`): Telegram's `sendPoll` and
`stopPoll`, Discord's message polls, answering the documented objects and keeping the votes.

    polls = TelegramPolls(fake, token)        # routes /bot<token>/sendPoll and /stopPoll
    update = polls.vote(message_id, option, n) # people vote on Telegram: the `poll` Update
    discord = DiscordPolls(fake)               # POST /channels/{id}/messages with a poll, GET it,
    discord.vote(message_id, answer_id, n)     # POST …/polls/{id}/expire

Telegram: a Message with a `poll` (id, question, options[{text, voter_count}], is_closed,
is_anonymous); `stopPoll` answers the final Poll, and a second stop is refused (400) as Telegram
does; each vote gives the Update {"update_id", "poll": Poll} Telegram then pushes to the bot
(through getUpdates or the webhook). Discord: a Message whose `poll` has
`answers[{answer_id, poll_media}]` and `results{is_finalized, answer_counts[{id, count,
me_voted}]}`.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from hearth.channels.testing import FakePlatform, Recorded, Reply


class TelegramPolls:
    def __init__(self, fake: FakePlatform, token: str, chat: dict[str, Any]) -> None:
        self.chat = chat
        self.polls: dict[int, dict[str, Any]] = {}  # message id → Poll
        self._ids = itertools.count(500)
        self._update_ids = itertools.count(870001)
        fake.route("POST", f"/bot{token}/sendPoll", json=self._send)
        fake.route("POST", f"/bot{token}/stopPoll", json=self._stop)

    def _send(self, req: Recorded) -> Any:
        body = req.json
        message_id = next(self._ids)
        self.polls[message_id] = {
            "id": f"54133{message_id}",
            "question": body["question"],
            "options": [{"text": o["text"], "voter_count": 0} for o in body["options"]],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": body.get("is_anonymous", True),
            "type": "regular",
            "allows_multiple_answers": False,
        }
        return {
            "ok": True,
            "result": {
                "message_id": message_id,
                "chat": self.chat,
                "date": 1793520000,
                "poll": self.polls[message_id],
            },
        }

    def _stop(self, req: Recorded) -> Any:
        poll = self.polls.get(int(req.json["message_id"]))
        if poll is None:
            return Reply(
                400,
                {"ok": False, "error_code": 400, "description": "Bad Request: message not found"},
            )
        if poll["is_closed"]:
            return Reply(
                400,
                {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: poll has already been closed",
                },
            )
        poll["is_closed"] = True
        return {"ok": True, "result": poll}

    def vote(self, message_id: int, option: int, n: int = 1) -> dict[str, Any]:
        """People vote on Telegram; returns the `poll` Update Telegram sends the bot then."""
        poll = self.polls[message_id]
        if not poll["is_closed"]:
            poll["options"][option]["voter_count"] += n
            poll["total_voter_count"] += n
        return self.update(message_id)

    def update(self, message_id: int) -> dict[str, Any]:
        """The Update carrying the poll's current state (a copy: later votes do not change it)."""
        poll = self.polls[message_id]
        return {
            "update_id": next(self._update_ids),
            "poll": {**poll, "options": [dict(o) for o in poll["options"]]},
        }


class DiscordPolls:
    def __init__(self, fake: FakePlatform) -> None:
        self.messages: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1_300_000_000_000_000_001)
        fake.route("POST", re.compile(r"/channels/\d+/messages"), json=self._create)
        fake.route("GET", re.compile(r"/channels/\d+/messages/\d+"), json=self._get)
        fake.route("POST", re.compile(r"/channels/\d+/polls/\d+/expire"), json=self._expire)

    def _create(self, req: Recorded) -> Any:
        channel_id = req.path.split("/")[2]
        message_id = str(next(self._ids))
        poll = req.json.get("poll")
        message: dict[str, Any] = {
            "id": message_id,
            "channel_id": channel_id,
            "type": 0,
            "content": req.json.get("content", ""),
            "nonce": req.json.get("nonce"),
        }
        if poll:
            message["poll"] = {
                "question": poll["question"],
                "answers": [
                    {"answer_id": i + 1, "poll_media": a["poll_media"]}
                    for i, a in enumerate(poll["answers"])
                ],
                "expiry": "2026-12-09T12:00:00+00:00",
                "allow_multiselect": poll.get("allow_multiselect", False),
                "layout_type": poll.get("layout_type", 1),
                "results": {
                    "is_finalized": False,
                    "answer_counts": [
                        {"id": i + 1, "count": 0, "me_voted": False}
                        for i in range(len(poll["answers"]))
                    ],
                },
            }
        self.messages[message_id] = message
        return message

    def _get(self, req: Recorded) -> Any:
        message = self.messages.get(req.path.split("/")[-1])
        if message is None:
            return Reply(404, {"message": "Unknown Message", "code": 10008})
        return message

    def _expire(self, req: Recorded) -> Any:
        message = self.messages.get(req.path.split("/")[-2])
        if message is None or "poll" not in message:
            return Reply(404, {"message": "Unknown Message", "code": 10008})
        message["poll"]["results"]["is_finalized"] = True
        return message

    def vote(self, message_id: str, answer_id: int, n: int = 1) -> None:
        results = self.messages[message_id]["poll"]["results"]
        if not results["is_finalized"]:
            for count in results["answer_counts"]:
                if count["id"] == answer_id:
                    count["count"] += n
