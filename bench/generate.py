"""Deterministic synthetic archives: an import JSON Lines file, then a log via `archive import`.

`write_import(path, n, seed)` writes exactly `n` import lines ({"id","type","at","source",
"data"}) with the real mix of event types: conferences, sessions, participants (a pool of
people, organisations and countries reused across conferences; the first mention creates
the entity), speeches with summaries and quotes, proposals, agreements, figures, follow-ups,
attachments and notes, with corrections, retractions and a few entity merges sprinkled in.
Ids are time-ordered (ULID-shaped) and derived from the seed, so the same (n, seed) always
gives the same bytes. Log lines come out at 300-600 bytes.

`prepare(n, seed, out)` caches `out/data/<n>-s<seed>/` holding `import.jsonl`, `meta.json`
and `archive/` (the log written by the real `archive import`, index caught up).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

GENERATOR_VERSION = 3  # 3: the version 2 event model (numbered points, tags)
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BASE_MS = 1_420_070_400_000  # 2015-01-01

WORDS = """
cooperation security development region trade energy water climate border transport
investment education health youth women dialogue peace stability economy growth
infrastructure agriculture tourism culture heritage science innovation technology digital
connectivity partnership integration market customs transit corridor railway road aviation
finance banking reform governance transparency accountability institutions parliament
ministry government agency commission council committee delegation envoy ambassador
minister president chairman secretary director expert scholar researcher journalist
sustainable resilient inclusive regional national international multilateral bilateral
initiative programme project strategy plan framework agreement memorandum declaration
statement resolution recommendation proposal report review assessment study survey data
figures statistics growth decline increase decrease percent million billion tonnes
kilometres megawatts households students teachers doctors farmers workers migrants
refugees communities villages cities capitals provinces districts valleys mountains rivers
lakes sea steppe desert glaciers drought floods earthquakes disasters emergency relief
humanitarian assistance aid donors grants loans credit budget funding costs prices tariffs
exports imports goods services products oil gas coal electricity hydropower solar wind
pipeline grid network fibre internet broadband mobile platforms startups enterprises
companies industry manufacturing textiles mining metals cotton wheat fruit livestock dairy
fisheries forests biodiversity environment pollution emissions adaptation mitigation
vaccines hospitals clinics schools universities training skills employment jobs wages
poverty inequality inclusion rights justice law courts elections media freedom civil
society citizens volunteers neighbours partners friends allies stakeholders participants
speakers panel session workshop plenary opening closing keynote remarks questions answers
challenges opportunities priorities lessons experience practice results outcomes impact
progress momentum commitment support solidarity trust confidence understanding vision
future generations history tradition identity language literature music film sport
""".split()
FIRST = """Aigerim Alibek Amina Arman Asel Aziz Bakhyt Dana Daniyar Dilnoza Elena Erlan Farida
Farrukh Gulnara Ivan Jamila Kairat Karim Leila Madina Marat Maria Mirzo Nargiza Nurlan Olga
Oybek Rustam Saule Sergei Shahlo Sherzod Tamara Timur Ulugbek Yerlan Zarina Zhanna Anna
Peter Sophie Thomas Laura Martin Julia David Sarah Michael Fatima Omar Hassan Yuki Chen Wei
Priya Ravi Ahmed Layla Carlos Ana Jean Marie Hans Ingrid Pavel Natalia Bolat Saltanat""".split()
LAST = """Abdullaev Akhmetov Aliyev Bekov Dzhaksybekov Ermekov Ibragimov Ismailov Karimov
Kasymov Kim Lee Mamedov Massimov Nazarov Nurmagambetov Omarov Petrov Rakhimov Rashidov
Sadykov Saidov Smirnova Suleimenov Tashkentova Tokayev Umarov Usmanov Yusupov Zhakupov
Schmidt Mueller Dubois Martin Rossi Garcia Silva Tanaka Wang Zhang Sharma Khan Hussein
Ivanova Novak Kowalski Andersen Johansson Brown Wilson Taylor Clarke Walker Young""".split()
COUNTRIES = """Kazakhstan Uzbekistan Kyrgyzstan Tajikistan Turkmenistan Afghanistan Mongolia
China Russia Turkey Iran Pakistan India Japan Korea Germany France Italy Spain Norway Sweden
Finland Poland Austria Switzerland Netherlands Belgium Canada Brazil Egypt Azerbaijan
Georgia Armenia Belarus Ukraine Latvia Estonia Lithuania Hungary Czechia""".split()
ORG_A = ["Regional", "International", "National", "Central Asian", "Eurasian", "Global",
         "United", "Independent", "Open", "Academic"]
ORG_B = ["Development Bank", "Institute for Policy", "Centre for Dialogue", "Foundation",
         "Council", "University", "Chamber of Commerce", "Agency for Cooperation",
         "Research Network", "Programme Office", "Association", "Press Club"]
ROLES = ["Minister of Foreign Affairs", "Prime Minister", "Deputy Minister", "Ambassador",
         "Director", "Professor", "Chairman", "Head of Delegation", "Senior Adviser",
         "Special Representative", "Executive Secretary", "Journalist", "Researcher"]
SPEECH_KINDS = ["opening", "keynote", "panel", "panel", "panel", "closing", "interview",
                "remark", "remark", "statement", "statement"]
SESSION_KINDS = ["plenary", "panel", "panel", "panel", "workshop", "theme", "other"]
UNITS = [None, "USD", "percent", "tonnes", "km", "MW", "people"]
QUALIFIERS = [None, None, "exactly", "about", "more than", "at least", "fewer than", "up to"]

# the mix of body events (participants and sessions come on top, as they are needed)
MIX = [
    ("speech", 40), ("note", 15), ("proposal", 9), ("figure", 9), ("agreement", 2),
    ("attachment", 2), ("followup", 0.5), ("correct", 2.5), ("retract", 0.7), ("merge", 0.15),
]


def ulid(ms: int, rand: int) -> str:
    value = ms << 80 | rand
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


@dataclass
class _Conf:
    id: str
    day0: int
    days: int
    sessions: list[str] = field(default_factory=list)
    attended: set[str] = field(default_factory=set)


class Generator:
    """Yields import lines (bytes, without newline). Deterministic for (seed, first)."""

    def __init__(self, seed: int, n_total: int, first: int = 0):
        self.rng = random.Random(seed)
        self.seed = seed
        self.counter = first
        self.n_total = n_total
        r = self.rng
        # Zipf-like word weights: a few words are very common (FTS with real skew)
        self.words = list(WORDS)
        self.word_cum = []
        acc = 0.0
        for i in range(len(WORDS)):
            acc += 1.0 / (i + 3)
            self.word_cum.append(acc)
        r.shuffle(self.words)
        n_people = max(60, n_total // 25)
        self.people = [(self._entity_id(), f"{r.choice(FIRST)} {r.choice(LAST)}")
                       for _ in range(n_people)]
        self.person_cum = []
        acc = 0.0
        for i in range(n_people):
            acc += 1.0 / (i + 10) ** 0.8  # some people speak at many conferences
            self.person_cum.append(acc)
        self.orgs = [(self._entity_id(), f"{r.choice(ORG_A)} {r.choice(ORG_B)} {i}")
                     for i in range(max(10, n_total // 400))]
        self.countries = [(self._entity_id(), c) for c in COUNTRIES]
        self.known: dict[str, str] = {}  # entity id -> kind, once mentioned
        self.person_org: dict[str, str] = {}
        self.correctable: list[tuple[str, str]] = []
        self.retractable: list[str] = []
        self.retracted: set[str] = set()
        self.duplicates: list[tuple[str, str]] = []
        self.conferences: list[str] = []

    # ---------------------------------------------------------------- pieces

    def _entity_id(self) -> str:
        return ulid(_BASE_MS - 10_000_000 + self.rng.getrandbits(20), self.rng.getrandbits(80))

    def _id(self) -> str:
        self.counter += 1
        return ulid(_BASE_MS + self.counter * 1000, self.rng.getrandbits(80))

    def text(self, lo: int, hi: int) -> str:
        words = self.rng.choices(self.words, cum_weights=self.word_cum, k=self.rng.randint(lo, hi))
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def _day(self, conf: _Conf) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime((conf.day0 + self.rng.randrange(conf.days))
                                                      * 86400))

    def _line(self, type_: str, data: dict, conf: _Conf | None, ident: str | None = None,
              at: str | None = None) -> tuple[str, bytes]:
        ident = ident or self._id()
        obj: dict = {"id": ident, "type": type_}
        if conf is not None:
            obj["at"] = at or self._day(conf)
            obj["source"] = {"url": f"urn:report:{conf.id[-10:]}",
                             "locator": f"p{self.rng.randint(1, 240)}"}
        obj["data"] = data
        return ident, orjson.dumps(obj)

    def _attend(self, conf: _Conf, entity: str, kind: str, name: str, out: list[bytes],
                **extra: str) -> None:
        if entity in conf.attended:
            return
        conf.attended.add(entity)
        self.known[entity] = kind
        data = {"conference": conf.id, "entity": entity, "kind": kind, "name": name, **extra}
        ident, line = self._line("participant.attended", data, conf)
        self.correctable.append((ident, "participant.attended"))
        out.append(line)

    def _person(self, conf: _Conf, out: list[bytes]) -> str:
        r = self.rng
        pid, name = r.choices(self.people, cum_weights=self.person_cum)[0]
        if pid not in conf.attended:
            extra: dict[str, str] = {"role": r.choice(ROLES)}
            if r.random() < 0.6:
                oid, oname = self.person_org.setdefault(pid, r.choice(self.orgs)[0]), None
                oname = next(n for i, n in self.orgs if i == oid) if oid not in self.known \
                    else None
                if oname is not None:
                    self._attend(conf, oid, "organisation", oname, out)
                elif oid not in conf.attended:
                    self._attend(conf, oid, "organisation", self._org_name(oid), out)
                extra["affiliation"] = oid
            if r.random() < 0.5:
                cid, cname = r.choice(self.countries)
                self._attend(conf, cid, "country", cname, out)
                extra["country"] = cid
            self._attend(conf, pid, "person", name, out, **extra)
            if r.random() < 0.004 and pid not in dict(self.duplicates):
                # the same person recorded twice under another spelling; merged later
                dup = self._entity_id()
                self._attend(conf, dup, "person", name.replace("a", "o", 1) + " ", out)
                self.duplicates.append((pid, dup))
        return pid

    def _org_name(self, oid: str) -> str:
        for i, n in self.orgs:
            if i == oid:
                return n
        raise KeyError(oid)

    # ---------------------------------------------------------------- a conference

    def conference(self, budget: int) -> list[bytes]:
        """About `budget` lines for one conference (the caller trims the last one)."""
        r = self.rng
        out: list[bytes] = []
        k = len(self.conferences)
        day0 = 16_436 + k * 11  # from 2015-01-01, a conference every 11 days
        ident = self._id()
        conf = _Conf(ident, day0, r.randint(1, 3))
        self.conferences.append(ident)
        data = {
            "name": f"{r.choice(ORG_A)} Conference on {self.text(2, 3)[:-1].title()} {k + 1}",
            "place": r.choice(COUNTRIES) + " City",
            "start": self._day_str(day0), "end": self._day_str(day0 + conf.days - 1),
            "organisers": [r.choice(self.orgs)[1]],
            "supporters": [r.choice(self.orgs)[1] for _ in range(r.randint(0, 2))],
            "description": self.text(6, 14),
        }
        out.append(self._line("conference.held", data, conf, ident,
                              at=self._day_str(day0))[1])
        for _ in range(max(3, budget // 80)):
            chair = self._person(conf, out)
            data = {"conference": conf.id, "title": self.text(3, 7)[:-1].title(),
                    "kind": r.choice(SESSION_KINDS), "day": self._day(conf), "chair": chair}
            if conf.sessions and r.random() < 0.2:
                data["parent"] = r.choice(conf.sessions)
            sid, line = self._line("session.held", data, conf)
            conf.sessions.append(sid)
            out.append(line)
        kinds = [m[0] for m in MIX]
        cum = []
        acc = 0.0
        for _, w in MIX:
            acc += w
            cum.append(acc)
        while len(out) < budget:
            kind = r.choices(kinds, cum_weights=cum)[0]
            getattr(self, "_" + kind)(conf, out)
        return out

    @staticmethod
    def _day_str(day: int) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))

    def _session(self, conf: _Conf) -> str | None:
        return self.rng.choice(conf.sessions) if self.rng.random() < 0.85 else None

    def _opt(self, data: dict, key: str, value: object) -> None:
        if value is not None:
            data[key] = value

    def _speech(self, conf: _Conf, out: list[bytes]) -> None:
        r = self.rng
        speaker = self._person(conf, out)
        data = {"conference": conf.id, "speaker": speaker, "kind": r.choice(SPEECH_KINDS)}
        self._opt(data, "session", self._session(conf))
        if r.random() < 0.5:
            data["role"] = r.choice(ROLES)
        data["summary"] = self.text(4, 11)
        data["quotes"] = [self.text(3, 8) for _ in range(r.choice((0, 0, 1, 1, 1, 2)))]
        ident, line = self._line("speech.delivered", data, conf)
        self.correctable.append((ident, "speech.delivered"))
        self.retractable.append(ident)
        out.append(line)

    def _note(self, conf: _Conf, out: list[bytes]) -> None:
        data = {"conference": conf.id, "text": self.text(5, 16)}
        if self.rng.random() < 0.6:
            data["tags"] = [self.rng.choice(self.words)]
        self._opt(data, "session", self._session(conf))
        ident, line = self._line("note.recorded", data, conf)
        self.correctable.append((ident, "note.recorded"))
        self.retractable.append(ident)
        out.append(line)

    def _proposal(self, conf: _Conf, out: list[bytes]) -> None:
        r = self.rng
        data = {"conference": conf.id, "text": self.text(5, 13),
                "topic": r.choice(self.words)}
        if r.random() < 0.8:
            data["proposer"] = self._person(conf, out)
        self._opt(data, "session", self._session(conf))
        ident, line = self._line("proposal.made", data, conf)
        self.correctable.append((ident, "proposal.made"))
        self.retractable.append(ident)
        out.append(line)

    def _figure(self, conf: _Conf, out: list[bytes]) -> None:
        r = self.rng
        data: dict = {"conference": conf.id, "value": round(r.lognormvariate(6, 3), 1),
                      "counts": self.text(2, 6)[:-1]}
        self._opt(data, "unit", r.choice(UNITS))
        self._opt(data, "qualifier", r.choice(QUALIFIERS))
        if r.random() < 0.7:
            data["cited_by"] = self._person(conf, out)
        self._opt(data, "session", self._session(conf))
        ident, line = self._line("figure.cited", data, conf)
        self.correctable.append((ident, "figure.cited"))
        self.retractable.append(ident)
        out.append(line)

    def _agreement(self, conf: _Conf, out: list[bytes]) -> None:
        r = self.rng
        data = {"conference": conf.id, "title": self.text(3, 6)[:-1].title(),
                "items": [{"n": n, "text": self.text(3, 7)}
                          for n in range(1, r.randint(1, 3) + 1)],
                "party_names": [r.choice(COUNTRIES) for _ in range(r.randint(2, 4))]}
        self._opt(data, "session", self._session(conf))
        out.append(self._line("agreement.reached", data, conf)[1])

    def _attachment(self, conf: _Conf, out: list[bytes]) -> None:
        r = self.rng
        data = {"conference": conf.id, "kind": r.choice(("photo", "photo", "document")),
                "caption": self.text(3, 9), "credit": f"{r.choice(FIRST)} {r.choice(LAST)}"}
        if r.random() < 0.5:
            data["sha256"] = f"{r.getrandbits(256):064x}"
            data["filename"] = f"img_{r.randrange(10**6):06d}.jpg"
            data["media_type"] = "image/jpeg"
        self._opt(data, "session", self._session(conf))
        out.append(self._line("attachment.added", data, conf)[1])

    def _followup(self, conf: _Conf, out: list[bytes]) -> None:
        r = self.rng
        data = {"conference": conf.id, "name": f"Follow-up meeting on {r.choice(self.words)}",
                "when": self._day_str(conf.day0 + r.randint(30, 400))[:7],
                "where": r.choice(COUNTRIES) + " City", "description": self.text(6, 16)}
        out.append(self._line("followup.scheduled", data, conf)[1])

    def _correct(self, conf: _Conf, out: list[bytes]) -> None:
        r = self.rng
        recent = self.correctable[-400:]
        if not recent:
            return self._note(conf, out)
        target, type_ = r.choice(recent)
        if target in self.retracted:
            return self._note(conf, out)
        changes: dict = {
            "speech.delivered": lambda: {"summary": self.text(4, 11)} if r.random() < 0.6
            else {"role": r.choice(ROLES)},
            "note.recorded": lambda: {"text": self.text(5, 16)},
            "proposal.made": lambda: {"topic": r.choice(self.words)},
            "figure.cited": lambda: {"value": round(r.lognormvariate(6, 3), 1)},
            "participant.attended": lambda: {"role": r.choice(ROLES)},
        }[type_]()
        data = {"target": target, "changes": changes, "reason": self.text(4, 10)}
        out.append(self._line("event.corrected", data, conf)[1])

    def _retract(self, conf: _Conf, out: list[bytes]) -> None:
        if not self.retractable:
            return self._note(conf, out)
        target = self.retractable.pop(self.rng.randrange(max(0, len(self.retractable) - 300),
                                                         len(self.retractable)))
        self.retracted.add(target)
        data = {"target": target, "reason": "Recorded twice; " + self.text(3, 8)}
        out.append(self._line("event.retracted", data, conf)[1])

    def _merge(self, conf: _Conf, out: list[bytes]) -> None:
        if not self.duplicates:
            return self._note(conf, out)
        kept, merged = self.duplicates.pop(0)
        data = {"kept": kept, "merged": merged, "reason": "Same person, another spelling."}
        out.append(self._line("entities.merged", data, conf)[1])

    # ---------------------------------------------------------------- the whole file

    def lines(self, n: int):
        per_conf = max(200, min(2500, n // 8 or 1))
        made = 0
        while made < n:
            for line in self.conference(min(per_conf, n - made)):
                if made >= n:
                    break
                yield line
                made += 1


def write_import(path: Path, n: int, seed: int = 1) -> dict:
    """Write exactly `n` import lines; returns meta (conference ids, sizes)."""
    gen = Generator(seed, n)
    size = 0
    with open(path, "wb", buffering=1 << 20) as f:
        for line in gen.lines(n):
            f.write(line)
            f.write(b"\n")
            size += len(line) + 1
    return {"n": n, "seed": seed, "bytes": size, "conferences": gen.conferences,
            "last_counter": gen.counter, "generator": GENERATOR_VERSION}


def extra_lines(meta: dict, n: int, salt: int) -> list[bytes]:
    """`n` more valid import lines (notes, proposals, figures) for an archive made from
    `meta`: for incremental builds and appends. Distinct ids for every `salt`."""
    rng = random.Random(f"{meta['seed']}-{salt}")
    conf = meta["conferences"][-1]
    gen = Generator(meta["seed"] + 1000 + salt, 1000, first=meta["last_counter"] + salt * 10_000)
    gen.rng = rng
    out = []
    for i in range(n):
        ident = ulid(_BASE_MS + (meta["last_counter"] + salt * 10_000 + i + 1) * 1000,
                     rng.getrandbits(80))
        obj = {"id": ident, "type": "note.recorded", "at": "2030-01-01",
               "source": {"url": "urn:bench:extra", "locator": f"p{i}"},
               "data": {"conference": conf, "text": gen.text(5, 16),
                        "tags": [rng.choice(WORDS)]}}
        out.append(orjson.dumps(obj))
    return out


# ---------------------------------------------------------------- cached archives


def archive_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("archive")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "archive"]


def bench_env() -> dict[str, str]:
    env = dict(os.environ)
    env["ARCHIVE_RECORDER"] = "bench"
    env.pop("ARCHIVE_DIR", None)
    return env


def prepare(n: int, seed: int, out: Path, log: bool = True) -> Path:
    """The cached data folder for (n, seed): import.jsonl, meta.json and archive/."""
    folder = out / "data" / f"{n}-s{seed}"
    done = folder / "complete.json"
    if done.exists() and json.loads(done.read_text()).get("generator") == GENERATOR_VERSION:
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if log:
        print(f"[generate] {n:,} events (seed {seed}) -> {folder}", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    meta = write_import(folder / "import.jsonl", n, seed)
    meta["generate_seconds"] = time.perf_counter() - t0
    (folder / "meta.json").write_text(json.dumps(meta))
    root = folder / "archive"
    env = bench_env()
    subprocess.run(archive_cmd() + ["--archive", str(root), "init"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    t0 = time.perf_counter()
    subprocess.run(archive_cmd() + ["--archive", str(root), "import",
                                    str(folder / "import.jsonl")], check=True, env=env,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    meta["import_seconds"] = time.perf_counter() - t0
    # The first append after a bulk import catches the name index up over the whole log.
    t0 = time.perf_counter()
    subprocess.run(archive_cmd() + ["--archive", str(root), "add", "note", "--text",
                                    "First note after the import.", "--conference",
                                    meta["conferences"][-1], "--id", "BENCHFIRSTNOTE"],
                   check=True, env=env, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    meta["first_add_seconds"] = time.perf_counter() - t0
    done.write_text(json.dumps({"generator": GENERATOR_VERSION, **{
        k: v for k, v in meta.items() if k != "conferences"}}))
    (folder / "meta.json").write_text(json.dumps(meta))
    if log:
        print(f"[generate] done: generate {meta['generate_seconds']:.1f}s, import "
              f"{meta['import_seconds']:.1f}s, first add {meta['first_add_seconds']:.2f}s",
              file=sys.stderr, flush=True)
    return folder


def main() -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("bench/out"))
    p.add_argument("--jsonl-only", type=Path, help="only write the import file here")
    args = p.parse_args()
    if args.jsonl_only:
        print(json.dumps({k: v for k, v in write_import(args.jsonl_only, args.n, args.seed)
                          .items() if k != "conferences"}))
    else:
        print(prepare(args.n, args.seed, args.out))


if __name__ == "__main__":
    main()
