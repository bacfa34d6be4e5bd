"""Conference archives made up for tests of the briefing: `drafts(rng, shape)` gives the
events of one conference (for `briefing_fixtures.write_log`), with or without sessions,
dates, figures, observers, delegations, side meetings and partial agreements, as `shape`
says; `shapes()` is the Hypothesis strategy over shapes and seeds."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Draft = tuple[str, str, dict[str, Any], "str | None", "str | None"]

COUNTRIES = ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Uzbekistan", "Turkmenistan",
             "Afghanistan", "India", "Pakistan", "Bangladesh", "Sri Lanka", "Mongolia",
             "Norway", "Japan", "Brazil", "Kenya", "Ghana", "Chile", "Canada"]
ORGANISATIONS = [("United Nations", "international", "UN"),
                 ("Organization for Security and Co-operation in Europe", "international",
                  "OSCE"),
                 ("International Organization for Migration", "international", "IOM"),
                 ("Internet Association of Kazakhstan", "civil society", None),
                 ("Lapis Communications", "private sector", None),
                 ("Moby Group", "private sector", None),
                 ("Қазақстан Интернет қауымдастығы", "civil society", None),
                 ("Shanghai Cooperation Organisation", "intergovernmental", "SCO")]
PEOPLE = ["Aigerim Nurlanovna Bekova", "Karim Massimov", "Gil Kerlikowske", "Peter Burian",
          "Petko Draganov", "Shavkat Sabirov", "Faheem Ahamed", "Nurtay Abykayev",
          "Zaid Mohseni", "Adlet Mustafinov", "Maria da Silva", "Jean-Pierre Lacroix",
          "Asel Zhumabayeva", "Rustam Azimov", "Li Wei", "Ana María Gómez"]
ROLES = ["Prime Minister", "Commissioner", "Special Representative", "CEO", "President",
         "Minister of Foreign Affairs", "Ambassador", None]
TOPICS = ["cooperation", "human rights", "online recruitment", "prisons",
          "religious education", "Internet", "regional security"]
SENTENCES = ["Called for closer regional cooperation on prevention.",
             "Stressed the role of families and schools.",
             "Described national programmes for returning fighters.",
             "Warned against blocking whole websites.",
             "Proposed a shared database of extremist content.",
             "Spoke about community policing in several languages.",
             "Asked donors to fund local research."]
QUOTES = ["We have to join our forces with all constructive forces in this world.",
          "Security will come from strengthening the social fabric.",
          "Human rights and prevention go hand in hand.",
          "What we need to focus on is the master narrative.",
          "Local communities maintain the most credible voices."]
SPEECH_KINDS = ["opening", "keynote", "panel", "closing", "interview", "remark",
                "statement"]


@dataclass(frozen=True)
class Shape:
    """How big an archive is and what it has."""

    seed: int
    countries: int = 4
    organisations: int = 3
    people: int = 5
    sessions: int = 2
    speeches: int = 5
    proposals: int = 3
    agreements: int = 1
    figures: int = 2
    followups: int = 1
    notes: int = 2
    meetings: int = 0
    delegations: int = 0
    dated: bool = True
    observers: bool = False
    partial: bool = False
    countries_figure: bool = False


def shapes() -> st.SearchStrategy[Shape]:
    return st.builds(
        Shape, seed=st.integers(0, 2**32 - 1), countries=st.integers(0, 6),
        organisations=st.integers(0, 4), people=st.integers(1, 7), sessions=st.integers(0, 4),
        speeches=st.integers(0, 8), proposals=st.integers(0, 4),
        agreements=st.integers(0, 2), figures=st.integers(0, 3), followups=st.integers(0, 2),
        notes=st.integers(0, 3), meetings=st.integers(0, 2), delegations=st.integers(0, 2),
        dated=st.booleans(), observers=st.booleans(), partial=st.booleans(),
        countries_figure=st.booleans())


def drafts(shape: Shape) -> list[Draft]:
    """The events of one made-up conference of this shape (deterministic per seed)."""
    rng = random.Random(shape.seed)
    c = "conf"
    start, end = ("2019-05-13", "2019-05-15") if shape.dated else (None, None)
    conference: dict[str, Any] = {"name": "Regional Conference on Prevention",
                                  "place": "Bishkek, Kyrgyzstan",
                                  "organisers": ["Government of Kyrgyzstan"]}
    if start:
        conference.update(start=start, end=end)
    out: list[Draft] = [(c, "conference.held", conference, start, "p1")]
    days = ["2019-05-13", "2019-05-14", "2019-05-15"] if shape.dated else [None]

    def para() -> str:
        return f"p{rng.randint(1, 30)}"

    countries = rng.sample(COUNTRIES, shape.countries)
    for i, name in enumerate(countries):
        data: dict[str, Any] = {"conference": c, "entity": f"c{i}", "kind": "country",
                                "name": name}
        if shape.observers and i % 3 == 2:
            data["status"] = "observer"
        if i == 0:
            data["status"] = "host"
        out.append((f"att-c{i}", "participant.attended", data, None, para()))
    orgs = rng.sample(ORGANISATIONS, shape.organisations)
    for i, (name, category, short) in enumerate(orgs):
        data = {"conference": c, "entity": f"o{i}", "kind": "organisation", "name": name,
                "category": category}
        if short:
            data["short_name"] = short
        if shape.observers and i % 2 == 1:
            data["status"] = "observer"
        out.append((f"att-o{i}", "participant.attended", data, None, para()))
    people = rng.sample(PEOPLE, shape.people)
    for i, name in enumerate(people):
        data = {"conference": c, "entity": f"p{i}", "kind": "person", "name": name}
        role = rng.choice(ROLES)
        if role:
            data["role"] = role
        if countries and rng.random() < 0.6:
            data["country"] = f"c{rng.randrange(len(countries))}"
        if orgs and rng.random() < 0.4:
            data["affiliation"] = f"o{rng.randrange(len(orgs))}"
        out.append((f"att-p{i}", "participant.attended", data, None, para()))
    for i in range(shape.sessions):
        data = {"conference": c, "title": f"Panel {i + 1}: {rng.choice(TOPICS)}",
                "kind": rng.choice(["panel", "plenary", "workshop"])}
        day = rng.choice(days)
        if day:
            data["day"] = day
        out.append((f"s{i}", "session.held", data, None, para()))
    for i in range(shape.speeches):
        data = {"conference": c, "speaker": f"p{rng.randrange(len(people))}",
                "kind": rng.choice(SPEECH_KINDS), "summary": rng.choice(SENTENCES)}
        if shape.sessions and rng.random() < 0.6:
            data["session"] = f"s{rng.randrange(shape.sessions)}"
        quotes = rng.sample(QUOTES, rng.randint(0, 2))
        if quotes:
            data["quotes"] = [f"{q} ({i})" for q in quotes]  # each quote is said once
        out.append((f"sp{i}", "speech.delivered", data, rng.choice(days), para()))
    for i in range(shape.proposals):
        data = {"conference": c, "text": f"Proposal {i + 1}: {rng.choice(SENTENCES)}"}
        if rng.random() < 0.6:
            data["proposer"] = f"p{rng.randrange(len(people))}"
        if shape.sessions and rng.random() < 0.5:
            data["session"] = f"s{rng.randrange(shape.sessions)}"
        out.append((f"pr{i}", "proposal.made", data, rng.choice(days), para()))
    for i in range(shape.agreements):
        items = rng.randint(1, 5)
        data = {"conference": c, "title": f"Declaration {i + 1} on prevention",
                "kind": "declaration",
                "items": [{"n": n, "text": f"Point {n} of declaration {i + 1}"}
                          for n in range(1, items + 1)]}
        if shape.partial:
            data["points"] = items + rng.randint(1, 25)
        if countries:
            data["parties"] = [f"c{j}" for j in range(min(2, len(countries)))]
        out.append((f"ag{i}", "agreement.reached", data, rng.choice(days), para()))
    for i in range(shape.figures):
        data = {"conference": c, "value": rng.choice([3, 12, 150, 2500, 1.5]),
                "counts": f"{rng.choice(['people', 'projects', 'fighters'])} counted ({i})"}
        if people and rng.random() < 0.5:
            data["cited_by"] = f"p{rng.randrange(len(people))}"
        out.append((f"fg{i}", "figure.cited", data, None, para()))
    if shape.countries_figure:
        out.append(("fg-countries", "figure.cited",
                    {"conference": c, "value": shape.countries + rng.randint(0, 10),
                     "counts": "countries represented"}, None, para()))
    for i in range(shape.followups):
        data = {"conference": c, "name": f"Follow-up meeting {i + 1}"}
        if rng.random() < 0.7:
            data["when"] = f"2020-0{i + 1}"
        if rng.random() < 0.7:
            data["where"] = rng.choice(["Vienna", "New York", "Almaty"])
        out.append((f"fu{i}", "followup.scheduled", data, None, para()))
    for i in range(shape.notes):
        data = {"conference": c, "text": f"Note {i + 1}: {rng.choice(SENTENCES)}"}
        if rng.random() < 0.7:
            data["tags"] = [rng.choice(TOPICS)]
        out.append((f"nt{i}", "note.recorded", data, None, para()))
    for i in range(shape.meetings if len(people) >= 2 else 0):
        who = rng.sample(range(len(people)), 2)
        out.append((f"mt{i}", "meeting.held",
                    {"conference": c, "kind": "bilateral",
                     "participants": [f"p{j}" for j in who],
                     "outcome": rng.choice(SENTENCES)}, rng.choice(days), para()))
    for i in range(min(shape.delegations, len(countries))):
        out.append((f"dl{i}", "delegation.sent",
                    {"conference": c, "country": f"c{i}", "head": {"entity": "p0", "post": "head"},
                     "members": [{"entity": f"p{j}", "post": "delegate"}
                                 for j in range(1, min(3, len(people)))]}, None, para()))
    return out
