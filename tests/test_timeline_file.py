"""OUT.json is typed and versioned: one writer, one reader, older files upgraded, newer ones
refused by name (OpenTimelineIO's `Name.N` schemas are the model)."""

from __future__ import annotations

import json

import pytest

from livedirector_desktop.compositor.scene import Segment
from livedirector_desktop.core.errors import BadInputError
from livedirector_desktop.pipeline.conform import read_live_log
from livedirector_desktop.recorder.timeline_file import SCHEMA, read_timeline, timeline_file

# As a live recording wrote it before the file had a schema (version 0): the decisions of
# the time carry no outcome.
VERSION_0 = {
    "output": "/videos/take.mp4",
    "layout": "side-by-side",
    "transition_ms": 300,
    "duration_ms": 9000.0,
    "sentences": 2,
    "live": True,
    "cues": [
        {"text": "SpaceX launched a rocket.", "start_ms": 500, "end_ms": 2500},
        {"text": "I make coffee.", "start_ms": 4000, "end_ms": 5600},
    ],
    "decisions": [
        {
            "at_ms": 2600, "start_ms": 500, "end_ms": 2500, "text": "SpaceX launched a rocket.",
            "query": "rocket launch", "decision": {"asset_id": "rocket", "confidence": 0.81},
            "candidates": [], "path": "llm", "reason": "matched", "latency_ms": {"llm": 120},
            "wanted_asset_id": None,
        },
        {
            "at_ms": 5700, "start_ms": 4000, "end_ms": 5600, "text": "I make coffee.",
            "query": "coffee", "decision": None, "candidates": [], "path": "llm",
            "reason": "vetoed", "latency_ms": {}, "wanted_asset_id": None,
        },
    ],
    "controls": [{"at_ms": 3000, "name": "vetoed", "value": ["coffee"]}],
    "segments": [
        {"start_ms": 2600, "end_ms": 5000, "asset_id": "rocket", "title": "Rocket",
         "clip_path": "/clips/rocket.mp4", "confidence": 0.81, "text": "SpaceX launched a rocket.",
         "path": "llm", "reason": "matched"},
    ],
}  # fmt: skip


def test_a_version_0_file_is_upgraded_and_conform_reads_it(tmp_path):
    path = tmp_path / "take.json"
    path.write_text(json.dumps(VERSION_0))
    timeline = read_timeline(path)
    assert timeline.layout == "side-by-side" and timeline.live and not timeline.recovered
    first, second = timeline.decisions
    assert (first.asset_id, first.confidence, first.outcome) == ("rocket", 0.81, "show")
    assert (second.asset_id, second.outcome) == (None, "camera")
    assert timeline.segments[0].clip_path == "/clips/rocket.mp4"
    log = read_live_log(tmp_path / "take.mp4")
    assert log.vetoed == {"coffee"} and log.transition_ms == 300
    assert [c.text for c in log.cues] == ["SpaceX launched a rocket.", "I make coffee."]
    assert [s.asset_id for s in log.segments] == ["rocket"]


def test_the_writer_stamps_the_schema_and_the_reader_gives_back_what_was_written(tmp_path):
    meta = {**VERSION_0, "segments": [], "clips_not_shown": [{"asset_id": "x", "why": "gone"}]}
    written = timeline_file(
        meta,
        [Segment(2600.04, 5000, "rocket", 0.812345, "SpaceX launched a rocket.", "llm", "ok")],
        {"rocket": {"title": "Rocket", "path": "/clips/rocket.mp4"}},
    ).to_json()
    assert written["schema"] == SCHEMA == "LiveDirectorTimeline.1"
    assert written["clips_not_shown"] == [{"asset_id": "x", "why": "gone"}]  # kept as given
    assert written["segments"][0]["start_ms"] == 2600.0
    assert written["segments"][0]["confidence"] == 0.8123
    # On disk, a decision has the shape the control API and Decision.to_json use.
    assert written["decisions"][0]["decision"] == {"asset_id": "rocket", "confidence": 0.81}
    path = tmp_path / "take.json"
    path.write_text(json.dumps(written))
    again = read_timeline(path)
    assert again.to_json() == written


def test_a_newer_or_foreign_or_malformed_file_is_refused_by_name(tmp_path):
    path = tmp_path / "take.json"
    path.write_text(json.dumps({**VERSION_0, "schema": "LiveDirectorTimeline.7"}))
    with pytest.raises(BadInputError, match="newer than this LiveDirector") as err:
        read_timeline(path)
    assert str(path) in str(err.value) and "update LiveDirector" in err.value.hint
    path.write_text(json.dumps({**VERSION_0, "schema": "Timeline.1"}))
    with pytest.raises(BadInputError, match="not a LiveDirector timeline schema"):
        read_timeline(path)
    bad = {**VERSION_0, "cues": [{"text": "x", "start_ms": "soon", "end_ms": 1}]}
    path.write_text(json.dumps(bad))
    with pytest.raises(BadInputError, match="malformed") as err:
        read_timeline(path)
    assert str(path) in str(err.value)
    path.write_text("{ not json")
    with pytest.raises(BadInputError, match="cannot be read"):
        read_timeline(path)
