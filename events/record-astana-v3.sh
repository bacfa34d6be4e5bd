#!/usr/bin/env bash
# Append to the shipped Astana archive the seven agreed steps as commitments (issue 13),
# through the archive's own CLI, after the lines record-astana.sh and -v2.sh wrote:
#
#   usage: events/record-astana-v3.sh [ARCHIVE_FOLDER]   (default: the repository root)
#   env:   ARCHIVE           the `archive` command to run (default: `archive` from PATH)
#          ARCHIVE_RECORDER  who is recording (default: events/record-astana-v3.sh)
#
# The report (p18): "participants agreed on a series of steps to enhance counterterrorism
# efforts in Central and South Asia ahead of the Countering Violent Extremism (CVE)
# leaders' summit set for September in New York". So each step is owned by the
# participating governments (and, where the step names them, by the civil society
# organisations and nongovernmental organisations it is about), due by September 2015.
# The report gives no progress on any of them: none is recorded, so each stays "agreed".
# Every event has a fixed id, so running the script again writes nothing.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${1:-$REPO_ROOT}"
ARCHIVE="${ARCHIVE:-archive}"
RECORDER="${ARCHIVE_RECORDER:-events/record-astana-v3.sh}"
SRC="astana-times-2015-07"  # the report, recorded as a source by record-astana-v2.sh

arc() { "$ARCHIVE" --archive "$TARGET" --recorder "$RECORDER" "$@" </dev/null; }
# step N [OWNER_NAME...]: the commitment that follows agreed point N
step() {
  local n="$1"
  shift
  local owners=(--owner-name "participating governments")
  for name in "$@"; do owners+=(--owner-name "$name"); done
  arc add commitment --id "astana15-commitment-$n" --conference astana15 \
    --agreement astana15-agreement --point "$n" "${owners[@]}" --due 2015-09 \
    --source "$SRC" --locator p18-p19
}

step 1
step 2
step 3
step 4 "national nongovernmental organisations"
step 5
step 6
step 7 "civil society organisations"
