#!/usr/bin/env bash
# Append to the shipped Astana archive what the second version of the event model can say
# (issue 17), through the archive's own CLI, after the lines record-astana.sh wrote:
#
#   usage: events/record-astana-v2.sh [ARCHIVE_FOLDER]   (default: the repository root)
#   env:   ARCHIVE           the `archive` command to run (default: `archive` from PATH)
#          ARCHIVE_RECORDER  who is recording (default: events/record-astana-v2.sh)
#
# Nothing is edited: every line here is a new event (a source, corrections with their
# reasons), each with a fixed id, so running the script again writes nothing.
#
# - The report becomes a source with its title, publisher and month; the facts already
#   recorded cite its address, which the source's `url` names.
# - Statuses: the report says the conference was organised by the governments of
#   Kazakhstan and the United States "with support from" the OSCE Programme Office in
#   Astana (p20).
# - Short names the report uses or that readers search for (OSCE, IOM, UNRCCA, CBP).
# - Names the report got wrong keep the report's words: the official name is a correction
#   whose reason quotes the report, and the report's spelling stays an alias of the
#   record, so both can be found (U.S. Customs and Border "Control" is Protection;
#   "Preventative" Diplomacy is Preventive; "Organisation for Security and Cooperation"
#   is the Organization for Security and Co-operation in Europe).
# - The conference: its host country and the themes the report names (p5, p11, p13, p14).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-$REPO_ROOT}"
ARCHIVE="${ARCHIVE:-archive}"
RECORDER="${ARCHIVE_RECORDER:-events/record-astana-v2.sh}"
URL="https://astanatimes.com/2015/07/calls-for-broader-cooperation-define-astana-anti-extremism-conference/"
SRC="astana-times-2015-07"  # the source's id, from here on

arc() { "$ARCHIVE" --archive "$TARGET" --recorder "$RECORDER" "$@" </dev/null; }
# fix ID TARGET LOCATOR REASON --set FIELD=VALUE...: one correction, citing the report.
fix() {
  local id="$1" target="$2" loc="$3" reason="$4"
  shift 4
  arc correct "$target" --id "$id" --source "$SRC" --locator "$loc" --reason "$reason" "$@"
}

arc add source --id "$SRC" --url "$URL" --kind press --published 2015-07 \
  --title "Calls for Broader Cooperation Define Astana Anti-Extremism Conference" \
  --publisher "The Astana Times"

fix astana15-v2-kazakhstan astana15-c-kazakhstan p20 \
  "the report: organised by the Government of Kazakhstan" --set status=organiser
fix astana15-v2-us astana15-c-us p20 \
  "the report: organised by the Government of the United States" --set status=organiser
fix astana15-v2-osce-astana astana15-o-osce-astana p20 \
  "the report: with support from the OSCE Programme Office in Astana" --set status=supporter
fix astana15-v2-osce astana15-o-osce p7 \
  "official name and short name; the report says 'Organisation for Security and Cooperation in Europe'" \
  --set "name=Organization for Security and Co-operation in Europe" --set short_name=OSCE
fix astana15-v2-iom astana15-o-iom p7 "the short name readers search for" --set short_name=IOM
fix astana15-v2-unrcca astana15-o-unrcca p11 \
  "official name and short name; the report says 'Preventative Diplomacy'" \
  --set "name=UN Regional Centre for Preventive Diplomacy for Central Asia" \
  --set short_name=UNRCCA
fix astana15-v2-cbp astana15-o-cbc p8 \
  "official name and short name; the report says 'U.S. Customs and Border Control'" \
  --set "name=U.S. Customs and Border Protection" --set short_name=CBP
fix astana15-v2-conference astana15 "p5,p11,p13,p14" \
  "the host country and the themes the report names" \
  --set host_country=Kazakhstan --set topics=cooperation --set "topics=human rights" \
  --set "topics=online recruitment" --set "topics=prisons" --set "topics=religious education"

arc verify
