"""What the briefing shows, as plain frozen dataclasses: the template's whole input.

Built by `briefing.data` from the SQLite database; nothing here touches I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.langs import same_language
from ..statements import AGREED, Due, Postponement, Status, agreement_status


@dataclass(frozen=True)
class Revision:
    """One field of one fact changed by a correction event."""

    id: str
    target_event_id: str
    table: str
    field: str
    old: str
    new: str
    reason: str | None
    seq: int
    recorded_at: str | None
    #: the fact it changed, as a reader names it ("Participant: OSCE")
    what: str = ""


@dataclass(frozen=True)
class Retraction:
    id: str
    target_event_id: str
    target_type: str | None
    label: str | None
    reason: str | None
    seq: int
    recorded_at: str | None


@dataclass(frozen=True)
class Ref:
    """Where a fact comes from: the event that recorded it, its source, its corrections."""

    event_id: str
    seq: int
    source_url: str | None
    source_locator: str | None
    revisions: tuple[Revision, ...] = ()

    @property
    def corrected(self) -> bool:
        return bool(self.revisions)


def foreign(lang: str, briefing_lang: str = "en") -> bool:
    """Is a text in another language than the briefing's (en-GB is not, in English)?"""
    return not same_language(lang, briefing_lang)


@dataclass(frozen=True)
class Rendering:
    """A recorded translation of a text into the briefing's language, with who made it
    (never one the archive made)."""

    lang: str
    text: str
    by: str
    ref: Ref


@dataclass(frozen=True)
class Quote:
    n: int
    text: str
    ref: Ref
    lang: str = "en"
    renderings: tuple[Rendering, ...] = ()


@dataclass(frozen=True)
class Speech:
    id: str
    speaker: str
    role: str | None
    affiliation: str | None
    kind: str | None
    summary: str | None
    quotes: tuple[Quote, ...]
    day: str | None
    ref: Ref
    #: the country the speaker spoke for, when the record says
    country: str | None = None
    #: the language of its summary and the summary's recorded translations
    lang: str = "en"
    renderings: tuple[Rendering, ...] = ()


@dataclass(frozen=True)
class Proposal:
    id: str
    text: str
    topic: str | None
    proposer: str | None
    proposer_role: str | None
    session: str | None
    ref: Ref
    #: a recorded commitment takes it up
    taken_up: bool = False


@dataclass(frozen=True)
class AgreementItem:
    n: int
    text: str
    ref: Ref
    lang: str = "en"
    renderings: tuple[Rendering, ...] = ()


@dataclass(frozen=True)
class Agreement:
    id: str
    title: str
    parties: tuple[str, ...]
    items: tuple[AgreementItem, ...]
    session: str | None
    ref: Ref
    kind: str | None = None
    status: str | None = None
    points: int | None = None
    #: the date foreseen for its signing (status `due-to-be-signed`)
    due: str | None = None

    @property
    def said(self) -> Status:
        """How its recorded status is said (`statements.AGREEMENT_STATUS`)."""
        return agreement_status(self.status)

    @property
    def agreed(self) -> bool:
        """True when the record says it was agreed (adopted, signed...), not only proposed."""
        return self.status in AGREED


@dataclass(frozen=True)
class Commitment:
    """An agreed point followed until it is done, with its status as of the briefing."""

    id: str
    point: int | None
    text: str
    owners: str
    due: Due
    status: str
    status_at: str | None
    note: str | None
    updates: int
    evidence: Ref | None
    ref: Ref


@dataclass(frozen=True)
class SourceInfo:
    """A recorded source (`source.cited`): what a citation of its id or URL names."""

    id: str
    title: str
    publisher: str | None
    published: str | None
    kind: str
    via: str | None
    url: str | None


@dataclass(frozen=True)
class Figure:
    id: str
    value: str
    unit: str | None
    counts: str
    qualifier: str | None
    cited_by: str | None
    ref: Ref


@dataclass(frozen=True)
class Meeting:
    id: str
    kind: str
    title: str | None
    who: tuple[str, ...]
    duration: str | None
    outcome: str | None
    ref: Ref


@dataclass(frozen=True)
class Delegate:
    name: str
    post: str | None
    head: bool


@dataclass(frozen=True)
class Delegation:
    id: str
    country: str
    members: tuple[Delegate, ...]
    ref: Ref
    description: str | None = None


@dataclass(frozen=True)
class Followup:
    """A follow-up meeting, as `statements.FollowupStatement` says it: `date` and `place`
    are those in force (held, moved to, or foreseen), `foreseen` the date first foreseen."""

    id: str
    name: str
    date: str | None
    place: str | None
    description: str | None
    ref: Ref
    end: str | None = None
    foreseen: str | None = None
    foreseen_place: str | None = None
    state: str = "foreseen"
    held_as: str | None = None
    postponements: tuple[Postponement, ...] = ()
    moved: bool = False

    @property
    def start(self) -> str | None:
        return self.date


@dataclass(frozen=True)
class Attachment:
    id: str
    kind: str
    caption: str | None
    credit: str | None
    filename: str | None
    #: The sha256 of `events/attachments/<sha256>` when that file exists and is an image.
    image: str | None
    ref: Ref


@dataclass(frozen=True)
class Note:
    id: str
    text: str
    topic: str | None
    ref: Ref


@dataclass(frozen=True)
class Participant:
    id: str
    kind: str
    name: str
    role: str | None
    affiliation: str | None
    country: str | None
    category: str | None
    ref: Ref
    status: str = "participant"
    #: the short name or acronym the archive records ("OSCE")
    short_name: str | None = None
    #: the other standings it had there as well ("member", for a host)
    also: tuple[str, ...] = ()

    @property
    def sort_key(self) -> tuple[str, str]:
        """Protocol order: people by surname (the last word of the name), others by name."""
        name = self.name.casefold()
        return (name.split()[-1] if self.kind == "person" and name.split() else name, name)

    @property
    def international(self) -> bool:
        category = (self.category or "").lower()
        return self.kind == "organisation" and any(
            word in category for word in ("international", "intergovernmental", "multilateral"))


@dataclass(frozen=True)
class Session:
    id: str | None
    title: str
    kind: str | None
    day: str | None
    chair: str | None
    speeches: tuple[Speech, ...]
    proposal_count: int = 0


@dataclass(frozen=True)
class Day:
    day: str | None
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class Stamp:
    """A state of the log: the sequence number and hash of its last event, and its date."""

    seq: int
    hash: str
    date: str | None


@dataclass(frozen=True)
class Conference:
    id: str
    name: str
    place: str | None
    start: str | None
    end: str | None
    organisers: tuple[str, ...]
    supporters: tuple[str, ...]
    description: str | None
    ref: Ref
    #: its postponements, as recorded (the dates above are those it was held on)
    postponed: tuple[Postponement, ...] = ()
    #: the topics on its agenda, as recorded: its themes (a note's tags are not)
    topics: tuple[str, ...] = ()
    #: who chaired it, when the record says
    chair: str | None = None


@dataclass(frozen=True)
class ProvedBy:
    """The checkpoint a PDF's proofs are against: its origin and size, and how many of
    the events the briefing cites it covers (the rest came after it)."""

    origin: str
    size: int
    proved: int
    cited: int


@dataclass(frozen=True)
class Briefing:
    """Everything one briefing shows, already filtered (by --since, --day)."""

    conference: Conference
    stamp: Stamp
    first_date: str | None
    since: Stamp | None
    day: str | None
    days: tuple[Day, ...]
    agreements: tuple[Agreement, ...]
    proposals: tuple[Proposal, ...]
    figures: tuple[Figure, ...]
    participants: tuple[Participant, ...]
    followups: tuple[Followup, ...]
    attachments: tuple[Attachment, ...]
    notes: tuple[Note, ...]
    revisions: tuple[Revision, ...]
    retractions: tuple[Retraction, ...]
    counts: dict[str, int] = field(default_factory=dict)
    meetings: tuple[Meeting, ...] = ()
    delegations: tuple[Delegation, ...] = ()
    commitments: tuple[Commitment, ...] = ()
    #: Recorded sources, by id and by URL.
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    #: was the whole log (hashes, chain, rules) verified for this render?
    verified: bool = False
    #: the language the briefing is written in (its fixed words; `i18n.languages()`)
    lang: str = "en"
    #: does the PDF carry the log it was built from (`briefing.record`)?
    carries_log: bool = False
    #: who compiled the briefing (`archive briefing --publisher`), if given
    publisher: str | None = None
    #: the signed checkpoint whose proofs the PDF carries (`proofs`), if any
    checkpoint: ProvedBy | None = None

    @property
    def speeches(self) -> tuple[Speech, ...]:
        return tuple(sp for d in self.days for s in d.sessions for sp in s.speeches)

    @property
    def quotes(self) -> tuple[Quote, ...]:
        return tuple(q for sp in self.speeches for q in sp.quotes)

    def fact_count(self) -> int:
        """How many facts the document will show (the renderer's size bound uses it)."""
        return (len(self.speeches) + len(self.quotes) + len(self.proposals)
                + sum(1 + len(a.items) for a in self.agreements) + len(self.figures)
                + len(self.participants) + len(self.followups) + len(self.attachments)
                + len(self.meetings) + sum(1 + len(d.members) for d in self.delegations)
                + len(self.commitments)
                + len(self.notes) + len(self.revisions) + len(self.retractions))


def cited(value: object) -> dict[str, int]:
    """Every event a document shows (id -> seq), in the order it first shows them: the
    events its facts' `Ref`s name, and its corrections and retractions."""
    out: dict[str, int] = {}

    def walk(v: object) -> None:
        if isinstance(v, Ref):
            out.setdefault(v.event_id, v.seq)
            walk(v.revisions)
        elif isinstance(v, Revision):  # its id: the correction's, a slash and the field
            out.setdefault(v.id.rsplit("/", 1)[0], v.seq)
        elif isinstance(v, Retraction):
            out.setdefault(v.id, v.seq)
        elif isinstance(v, tuple | list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif hasattr(v, "__dataclass_fields__"):
            for name in v.__dataclass_fields__:
                walk(getattr(v, name))

    walk(value)
    return out
