"""Payloads for tests: a minimal valid one of every event type."""

from __future__ import annotations

from typing import Any

#: A minimal valid payload for every event type.
MINIMAL: dict[str, dict[str, Any]] = {
    "conference.held": {"name": "Astana Regional Conference"},
    "session.held": {"conference": "c1", "title": "Opening plenary"},
    "participant.attended": {"conference": "c1", "entity": "e1", "kind": "person",
                             "name": "Karim Massimov"},
    "speech.delivered": {"conference": "c1", "speaker": "e1"},
    "proposal.made": {"conference": "c1", "text": "A regional hub."},
    "agreement.reached": {"conference": "c1", "title": "Declaration"},
    "figure.cited": {"conference": "c1", "value": 12.5, "counts": "billion dollars"},
    "followup.scheduled": {"conference": "c1", "name": "Next summit"},
    "attachment.added": {"conference": "c1"},
    "note.recorded": {"conference": "c1", "text": "Rain all day."},
    # the public key of Go's golang.org/x/mod/sumdb/note tests, named by its origin
    "log.key": {"origin": "PeterNeumann",
                "public_key": "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"},
    "event.corrected": {"target": "ev1", "changes": {"role": "Prime Minister"}},
    "event.retracted": {"target": "ev1", "reason": "recorded twice"},
    "entities.merged": {"kept": "e1", "merged": "e2"},
    "entities.unmerged": {"merge": "ev1"},
    "source.cited": {"title": "Leaders meet in Astana"},
    "conference.postponed": {"conference": "c1", "reason": "The host asked for a new date."},
    "delegation.sent": {"conference": "c1", "country": "e1"},
    "meeting.held": {"conference": "c1", "participants": ["e1", "e2"]},
    "commitment.made": {"conference": "c1", "agreement": "ag1", "point": 1,
                        "owners": ["e1"]},
    "progress.recorded": {"conference": "c1", "commitment": "cm1", "status": "done"},
    "commitment.rescheduled": {"conference": "c1", "commitment": "cm1", "due": "2016-03"},
    "followup.held": {"conference": "c1", "followup": "fu1", "held_as": "c2"},
    "translation.recorded": {"of": "sp1", "part": 1, "lang": "en", "text": "We agree.",
                             "by": "official translation"},
    "entity.recorded": {"entity": "e9", "kind": "person", "name": "Aigerim Bekova"},
}
