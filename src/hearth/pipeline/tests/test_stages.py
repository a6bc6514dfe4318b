"""Stages are named in settings, in order, and checked at start-up."""

import pytest
from conftest import item
from django.core import checks

from hearth.conversations.models import Message, Thread
from hearth.pipeline.batch import Batch
from hearth.pipeline.ingest import ingest_batch
from hearth.pipeline.stages import Stage, active_stages, check_stages

DEFAULT = [
    "hearth.moderation.stages.ModerationStage",
    "hearth.pipeline.routing.RoutingStage",
    "hearth.listening.stages.CountingStage",
]


class Recorder(Stage):
    name = "recorder"
    calls: list[tuple[str, list[str], bool]] = []

    def before_insert(self, batch: Batch) -> None:
        stored = Message.objects.filter(pk__in=[m.pk for m in batch.created]).exists()
        self.calls.append(("before", [m.external_id for m in batch.created], stored))

    def after_insert(self, batch: Batch) -> None:
        stored = Message.objects.filter(pk__in=[m.pk for m in batch.created]).count() == len(
            batch.created
        )
        self.calls.append(("after", [m.external_id for m in batch.created], stored))

    def on_edit(self, batch: Batch) -> None:
        self.calls.append(
            ("edit", [e.message.external_id for e in batch.edits], e_text_changed(batch))
        )


def e_text_changed(batch: Batch) -> bool:
    return all(e.before.text != e.message.text for e in batch.edits)


class NeedsRouting(Stage):
    name = "needs-routing"
    after = ("routing",)


def test_the_default_stages_pass_the_system_check():
    assert [type(s).__name__ for s in active_stages()] == [
        "ModerationStage",
        "RoutingStage",
        "CountingStage",
        "PostRepliesStage",
        "MembersStage",
        "IdeaCaptureStage",
        "StaleDaysStage",
    ]
    assert check_stages(None) == []


@pytest.mark.parametrize(
    ("stages", "fragment"),
    [
        ("hearth.moderation.stages.ModerationStage", "must be a list"),
        (["hearth.nowhere.Stage"], "cannot import 'hearth.nowhere.Stage'"),
        (["hearth.pipeline.batch.Batch"], "is not a named subclass"),
        ([*DEFAULT, "hearth.pipeline.routing.RoutingStage"], "named twice"),
        (["hearth.pipeline.tests.test_stages.NeedsRouting", *DEFAULT], "must come after 'routing'"),
        (
            ["hearth.pipeline.routing.RoutingStage", "hearth.moderation.stages.ModerationStage"],
            "must come after 'moderation'",
        ),
    ],
)
def test_a_bad_setting_is_refused_at_start_up_with_the_fix(settings, stages, fragment):
    settings.HEARTH_PIPELINE_STAGES = stages
    errors = check_stages(None)
    assert len(errors) == 1 and errors[0].id == "hearth.E101" and fragment in errors[0].msg
    assert errors[0].level == checks.ERROR


def test_stages_see_new_messages_before_and_after_the_insert_and_edits_apart(settings, channel):
    settings.HEARTH_PIPELINE_STAGES = [*DEFAULT, "hearth.pipeline.tests.test_stages.Recorder"]
    Recorder.calls = []
    ingest_batch(channel, [item("p1"), item("p2", author="u2")])
    ingest_batch(channel, [item("p1", "Edited: how do I pair two lamps?"), item("p3", author="u3")])
    assert Recorder.calls == [
        ("before", ["p1", "p2"], False),
        ("after", ["p1", "p2"], True),
        ("edit", ["p1"], True),
        ("before", ["p3"], False),
        ("after", ["p3"], True),
    ]


def test_without_the_routing_stage_threads_are_stored_but_not_routed(settings, channel):
    settings.HEARTH_PIPELINE_STAGES = ["hearth.moderation.stages.ModerationStage"]
    ingest_batch(channel, [item("p1")])
    thread = Thread.objects.get()
    assert thread.message_count == 0 and Message.objects.get().thread_id == thread.pk
