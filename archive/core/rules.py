"""The rules an event keeps with what came before it in the log.

No accepted event may leave the archive unbuildable or inconsistent:
- references point at what exists and is live (a speech's session is a live session, its
  speaker a live person, organisation or country);
- corrections and retractions target live facts, never other fixes, and never twice
  (a retracted fact can be neither retracted again nor corrected);
- a correction must still fit its target's schema and references, cannot change
  what a record *is* (`events.IDENTITY`: a participation's entity and kind), and cannot
  take away a text a live fact refers to by number (a translated quote, a committed
  point);
- a translation translates a text its fact has, not another translation, into another
  language than the text's;
- nothing live facts refer to can be retracted (a conference with facts, a session with
  speeches, a participation that is the last to name an entity others refer to): the
  error names the dependents, to retract first;
- a merge joins two live entities of one kind, each its own (not already merged);
  an unmerge undoes a live merge, and refuses to leave a side with nothing to name it.

One set of rules for every path that appends (`archive add`, `archive import`) and for
`archive verify`, asked of a catalogue `View` (`archive.core.catalogue`); pure.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import InvalidEvent, NotFound
from . import catalogue as cat
from .events import (
    FIXES,
    IDENTITY,
    MENTIONS,
    REGISTRY,
    AgreementReached,
    CommitmentMade,
    CommitmentRescheduled,
    EntitiesMerged,
    EntitiesUnmerged,
    EventCorrected,
    EventRetracted,
    FollowupHeld,
    Payload,
    SessionHeld,
    Source,
    SourceCited,
    TranslationRecorded,
    apply_changes,
    part_key,
    payload_class,
    references,
)
from .langs import same_language
from .translations import lang_of, parts_of, text_of

#: What a reference of each kind must point at (an event of this type).
WANT = {"conference": "conference.held", "session": "session.held",
        "merge": "entities.merged", "agreement": "agreement.reached",
        "proposal": "proposal.made", "commitment": "commitment.made",
        "followup": "followup.scheduled"}
#: The types of fact whose only rule is that their references point at what exists and
#: is live (`check` asks nothing more of them): no fix, no named record, no commitment.
PLAIN = frozenset(REGISTRY) - FIXES - cat.NAMED - {
    CommitmentMade.TYPE, CommitmentRescheduled.TYPE, FollowupHeld.TYPE,
    TranslationRecorded.TYPE}
#: Given ids, a few live facts that refer to them (for messages; may read the log).
Dependents = Callable[[set[str]], list[str]]


def check_references(refs: list[tuple[str, str, str]], view: cat.View, what: str = "") -> None:
    """Every (field, kind, id) from `events.references` points at what exists and is live."""
    for name, kind, ref in refs:
        if kind == "entity":
            info = view.entity(ref)
            if info is None:
                raise NotFound(f"{what}field `data.{name}`: no person, organisation or "
                               f"country with id {ref!r}")
            if info.into is None and info.attends > 0:
                continue  # the usual case: a record of its own, named by a live participation
            if not cat.entity_live(view, ref):
                raise NotFound(f"{what}field `data.{name}`: {ref!r} was retracted (its "
                               "participations are all retracted)")
            continue
        if kind in ("event", "part"):
            continue  # a fix's target: checked below; a part: by the rules of its fact
        found = view.event(ref)
        want = WANT.get(kind)
        if found is None or (want is not None and found.type != want):
            raise NotFound(f"{what}field `data.{name}`: no {kind} with id {ref!r}")
        if not found.live:
            done = "undone" if kind == "merge" else "retracted"
            raise NotFound(f"{what}field `data.{name}`: the {kind} {ref!r} was {done}")


def cites_unknown_source(cls: type[Payload], source: Source | None, view: cat.View) -> bool:
    """Does a fact cite, as its source, an id (no scheme: not a URL or `urn:`) that no
    live recorded source has? The same rule for `archive add` and `archive import`; a
    fix and a source itself cite no recorded source."""
    if cls.COMMAND is None or cls is SourceCited or source is None or ":" in source.url:
        return False
    cited = view.event(source.url)
    return cited is None or cited.type != SourceCited.TYPE or not cited.live


def check(data: Payload, view: cat.View, refs: list[tuple[str, str, str]] | None = None,
          dependents: Dependents | None = None) -> None:
    """Raise NotFound or InvalidEvent if `data` breaks a rule. `refs` may be passed when
    the caller has already worked out `references(data)`."""
    refs = references(data) if refs is None else refs
    if not (isinstance(view, cat.MemoryCatalogue) and view.plainly_live(refs, WANT)):
        check_references(refs, view)  # most events of a long log need not ask
    if data.TYPE in PLAIN:
        return
    if data.TYPE not in FIXES:
        name = cat.name_of(data) if data.TYPE in cat.NAMED else None
        if name is not None and not cat.name_key(name):
            field = "title" if isinstance(data, SessionHeld) else "name"
            raise InvalidEvent(f"field `data.{field}` is blank (only spaces or invisible "
                               f"characters: {name!r})")
        if isinstance(data, MENTIONS):
            known = view.entity(data.entity)
            if known is not None and known.kind != data.kind:
                raise InvalidEvent(f"field `data.kind`: entity {data.entity} is a "
                                   f"{known.kind}, not a {data.kind}")
        elif isinstance(data, CommitmentMade):
            _check_commitment(data, view)
        elif isinstance(data, CommitmentRescheduled):
            made = view.current(data.commitment)
            if getattr(made, "conference", data.conference) != data.conference:
                raise InvalidEvent(f"field `data.conference`: the commitment "
                                   f"{data.commitment} belongs to another conference")
        elif isinstance(data, TranslationRecorded):
            _check_translation(data, view)
        elif isinstance(data, FollowupHeld):
            scheduled = view.current(data.followup)
            if getattr(scheduled, "conference", None) == data.held_as:
                raise InvalidEvent("field `data.held_as`: a follow-up is held as a later "
                                   "conference, not as the one that scheduled it")
        return
    if isinstance(data, EventCorrected | EventRetracted):
        verb = "correct" if isinstance(data, EventCorrected) else "retract"
        target = _live_fact(view, data.target, verb)
        if isinstance(data, EventCorrected):
            _check_correction(data, target.type, view, dependents)
        else:
            _check_retraction(data, view, dependents)
    elif isinstance(data, EntitiesMerged):
        _check_merge(data, view)
    elif isinstance(data, EntitiesUnmerged):
        _check_unmerge(data, view)


def _check_commitment(data: CommitmentMade, view: cat.View) -> None:
    """The point exists in the agreement, the fact is of the same conference, and it is
    not due before the conference that agreed it."""
    source = data.agreement or data.proposal
    assert source is not None
    agreed = view.current(source)
    if getattr(agreed, "conference", data.conference) != data.conference:
        raise InvalidEvent(f"field `data.conference`: {source} was agreed at another "
                           "conference; record the commitment there (--conference)")
    if isinstance(agreed, AgreementReached):
        numbers = [item.n for item in agreed.items]
        if data.point not in numbers:
            listed = ", ".join(map(str, numbers)) or "none"
            raise NotFound(f"field `data.point`: the agreement {source} has no point "
                           f"{data.point} (its recorded points: {listed})")
    conference = view.current(data.conference)
    start = getattr(conference, "start", None)
    if data.due and start and data.due < start[:len(data.due)]:
        raise InvalidEvent(f"field `data.due`: {data.due} is before the conference that "
                           f"agreed it ({start})")


def _check_translation(data: TranslationRecorded, view: cat.View) -> None:
    """It translates a text the fact has, of a fact that is not itself a translation,
    into another language than the text's."""
    known = view.event(data.of)
    assert known is not None  # check_references saw it
    if known.type == TranslationRecorded.TYPE:
        first = view.current(data.of)
        raise InvalidEvent(f"field `data.of`: {data.of} is itself a translation; translate "
                           f"the text it translates ({getattr(first, 'of', '?')}) instead")
    cls = payload_class(known.type)
    if cls.TEXT is None:
        raise InvalidEvent(f"field `data.of`: {data.of} is a {known.type}, which has no text "
                           "to translate")
    original = view.current(data.of)
    if text_of(original, data.part) is None:
        if data.part is None:
            raise NotFound(f"field `data.of`: {data.of} records no {cls.TEXT}; give the "
                           "part to translate (--part N)")
        what = "quote" if cls.PARTS == "quotes" else "point"
        listed = ", ".join(map(str, parts_of(original))) or "none"
        raise NotFound(f"field `data.part`: {data.of} has no {what} {data.part} (its "
                       f"{what}s: {listed})")
    conference = getattr(original, "conference", None)
    held = view.current(conference) if isinstance(conference, str) and \
        view.event(conference) is not None else None
    lang = lang_of(original, getattr(held, "lang", None))
    if same_language(data.lang, lang):
        raise InvalidEvent(f"field `data.lang`: the text is in {lang} already; a translation "
                           "is into another language")


def _live_fact(view: cat.View, target: str, verb: str) -> cat.Known:
    known = view.event(target)
    if known is None:
        raise NotFound(f"field `data.target`: no event with id {target!r}")
    if known.type in FIXES:
        raise InvalidEvent(f"field `data.target`: {target} is itself a fix ({known.type}); "
                           f"{verb} the original event instead"
                           + ("; undo a merge with `archive unmerge`"
                              if known.type == EntitiesMerged.TYPE else ""))
    if not known.live:
        raise InvalidEvent(f"field `data.target`: cannot {verb} {target}: it was retracted")
    return known


def _check_correction(data: EventCorrected, type_: str, view: cat.View,
                      dependents: Dependents | None = None) -> None:
    fixed = set(IDENTITY.get(type_, ())) & set(data.changes)
    if fixed:
        field = sorted(fixed)[0]
        raise InvalidEvent(f"field `changes.{field}`: the {field} of a {type_} cannot be "
                           "corrected (it says what the record is); retract it and record "
                           "it again, or merge two records with `archive merge`")
    before = view.current(data.target)
    corrected = apply_changes(type_, before, data.changes)
    check_references(references(corrected), view, "the corrected ")
    _check_parts_kept(data.target, before, corrected, view, dependents)
    if isinstance(corrected, TranslationRecorded):
        _check_translation(corrected, view)


def _check_parts_kept(target: str, before: Payload, after: Payload, view: cat.View,
                      dependents: Dependents | None) -> None:
    """A correction keeps every text of a fact that a live fact refers to by number (a
    translation of its quote 2, a commitment to its point 3) or to its own text."""
    cls = type(before)
    if cls.TEXT is None:
        return
    kept = set(parts_of(after))
    lost: list[int | None] = [n for n in parts_of(before) if n not in kept]
    if text_of(before, None) is not None and text_of(after, None) is None:
        lost.append(None)
    for part in lost:
        key = part_key(target, part)
        count = view.refs(key)
        if count == 0:
            continue
        shown = dependents({key}) if dependents is not None else []
        listed = f" ({', '.join(shown)})" if shown else ""
        what = (f"the {cls.TEXT}" if part is None else
                f"{'quote' if cls.PARTS == 'quotes' else 'point'} {part}")
        field = cls.TEXT if part is None else cls.PARTS
        raise InvalidEvent(f"field `changes.{field}`: cannot take away {what} of {target}: "
                           f"{count} live fact{'s refer' if count != 1 else ' refers'} to it"
                           f"{listed}; retract or correct those first")


def _check_retraction(data: EventRetracted, view: cat.View,
                      dependents: Dependents | None) -> None:
    target = data.target
    ids = {target}
    current = view.current(target)
    if isinstance(current, MENTIONS):
        top = cat.root(view, current.entity)
        members = cat.group(view, top)
        if cat.attends(view, members) > 1:
            ids = {target}  # another participation still names the entity
        else:
            ids = {target, *members}
    count = sum(view.refs(i) for i in ids)
    if count == 0:
        return
    shown = dependents(ids) if dependents is not None else []
    listed = f": {', '.join(shown)}{', ...' if count > len(shown) else ''}" if shown else ""
    raise InvalidEvent(f"field `data.target`: cannot retract {target}: {count} live "
                       f"fact{'s refer' if count != 1 else ' refers'} to it{listed}; retract "
                       "or correct those first")


def _check_merge(data: EntitiesMerged, view: cat.View) -> None:
    for field, ident in (("kept", data.kept), ("merged", data.merged)):
        info = view.entity(ident)
        assert info is not None  # check_references saw it
        if info.into is not None:
            raise InvalidEvent(f"field `data.{field}`: {ident} was merged into "
                               f"{cat.root(view, ident)} already; name that one instead")
    kinds = [view.entity(data.kept), view.entity(data.merged)]
    assert kinds[0] is not None and kinds[1] is not None
    if kinds[0].kind != kinds[1].kind:
        raise InvalidEvent(f"cannot merge a {kinds[1].kind} into a {kinds[0].kind}")


def _check_unmerge(data: EntitiesUnmerged, view: cat.View) -> None:
    merge = view.current(data.merge)
    assert isinstance(merge, EntitiesMerged)
    # After the split, each side must still have a live participation if anything refers
    # to it (a side whose participations were all retracted while merged would vanish).
    split = cat.group(view, merge.merged)
    rest = [m for m in cat.group(view, merge.kept) if m not in split]
    for side, members in ((merge.merged, split), (merge.kept, rest)):
        if cat.attends(view, members) == 0 and any(view.refs(m) for m in members):
            raise InvalidEvent(f"field `data.merge`: cannot undo {data.merge}: {side} has "
                               "no live participation left to name it, and facts refer to "
                               "it; record its participation again first")
