"""What became of what was agreed: commitments, their progress, and follow-up meetings
that were held. Payloads only (pure); the rows they make are in `core.facts`, the views
that give each commitment's current status in `core.schema`.

A commitment follows an agreed point (an agreement and the point's number) or a
proposal that was taken up, owned by entities (a country, an organisation) or by groups
named in words ("participating governments"), due by a date that may be partial. Its
status changes only by `progress.recorded` events, each with its evidence (a source is
required); a wrong update is corrected or retracted like any event, and the current
status is that of the latest live update (`agreed` before any). Its due date moves only
by `commitment.rescheduled` events, with their evidence: the date in force is the latest.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from msgspec import Meta

from .base import ConferenceRef, Payload
from .validate import FieldError, Id, Name, PartialDate, Text

ProgressStatus = Literal["agreed", "in-progress", "done", "stalled", "dropped"]
#: The statuses, in the order a status table lists them.
PROGRESS_STATUSES: tuple[str, ...] = ProgressStatus.__args__  # type: ignore[attr-defined]


class CommitmentMade(Payload, frozen=True):
    """An agreed point (`--agreement ID --point N`) or a proposal taken up
    (`--proposal ID`), followed as a commitment: who owns it (entities, by name or id;
    or groups named in words with `--owner-name`), and when it is due (a date, or a
    partial date such as 2015-09). Its status is `agreed` until progress is recorded."""

    TYPE = "commitment.made"
    COMMAND = "commitment"
    TABLES = ("commitments", "commitment_owners")
    DATES = ("due",)
    REFS = {"conference": "conference", "agreement": "agreement", "proposal": "proposal",
            "owners": "entity"}
    PART_OF = ("agreement", "point")
    CREATES: ClassVar[dict[str, str]] = {"owners": "country"}
    NAMES_ONLY = ("owners",)
    OPTIONS: ClassVar[dict[str, str]] = {"owners": "--owner", "owner_names": "--owner-name"}
    conference: ConferenceRef
    agreement: Annotated[Id | None, Meta(description="The agreement (its id).")] = None
    point: Annotated[
        Annotated[int, Meta(ge=1)] | None,
        Meta(description="The number of the agreed point it follows.")] = None
    proposal: Annotated[
        Id | None, Meta(description="Or the proposal taken up (its id).")] = None
    owners: Annotated[
        list[Id], Meta(description="An owner: a country, organisation or person (name or "
                                   "id; repeat).")] = []
    owner_names: Annotated[
        list[Name], Meta(description="An owner named as a group, in words, e.g. "
                                     "'participating governments' (repeat).")] = []
    due: Annotated[PartialDate | None, Meta(description="When it is due.")] = None
    text: Annotated[
        Text | None,
        Meta(description="Its wording, when it is not the point's or proposal's own.")] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.agreement is None) == (self.proposal is None):
            raise FieldError("agreement", "give an agreement and its point, or a proposal "
                                          "(one of the two)")
        if self.agreement is not None and self.point is None:
            raise FieldError("point", "is required with an agreement (the number of the "
                                      "agreed point)")
        if self.proposal is not None and self.point is not None:
            raise FieldError("point", "goes with an agreement, not with a proposal")
        if not self.owners and not self.owner_names:
            raise FieldError("owners", "name at least one owner (--owner or --owner-name)")


class ProgressRecorded(Payload, frozen=True):
    """A change in a commitment's status, with its evidence (`--source` and `--locator`
    are required): agreed, in-progress, done, stalled or dropped, and a note. Statuses
    are never edited: a wrong update is corrected or retracted like any event."""

    TYPE = "progress.recorded"
    COMMAND = "progress"
    TABLES = ("progress",)
    EVIDENCE: ClassVar[bool] = True
    REFS = {"conference": "conference", "commitment": "commitment"}
    conference: ConferenceRef
    commitment: Annotated[Id, Meta(description="The commitment (its id).")]
    status: Annotated[ProgressStatus, Meta(description="Its status now.")]
    note: Annotated[Text | None, Meta(description="What the evidence says.")] = None


class CommitmentRescheduled(Payload, frozen=True):
    """A commitment's due date moved (the meeting it was due at was postponed, the
    parties agreed a new deadline), with its evidence (`--source` is required) and why.
    The due date in force is the latest live rescheduling's; the one first agreed stays
    as history, and "overdue" is counted from the date in force."""

    TYPE = "commitment.rescheduled"
    COMMAND = "rescheduling"
    TABLES = ("reschedulings",)
    EVIDENCE: ClassVar[bool] = True
    DATES = ("due",)
    REFS = {"conference": "conference", "commitment": "commitment"}
    conference: ConferenceRef
    commitment: Annotated[Id, Meta(description="The commitment (its id).")]
    due: Annotated[PartialDate, Meta(description="When it is due now (a date, or partial: "
                                                 "YYYY-MM).")]
    reason: Annotated[Text | None, Meta(description="Why it moved, as the source says.")] = None


class FollowupHeld(Payload, frozen=True):
    """A follow-up meeting a conference scheduled took place: it was the conference
    given with `--as` (recorded in this archive)."""

    TYPE = "followup.held"
    COMMAND = "followup-held"
    TABLES = ("followups_held",)
    REFS = {"conference": "conference", "followup": "followup", "held_as": "conference"}
    OPTIONS: ClassVar[dict[str, str]] = {"held_as": "--as"}
    conference: ConferenceRef
    followup: Annotated[Id, Meta(description="The follow-up scheduled (its id).")]
    held_as: Annotated[Id, Meta(description="The conference that was that meeting (name "
                                            "or id).")]
