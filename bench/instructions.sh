#!/bin/sh
# Instructions per supervisor stop, counted by callgrind: the same count whatever the load on
# the machine (wall and CPU times here move by several times over a day). For each kind of
# call, sysvm runs bench/peers/stoploop.c twice (4,000 and 24,000 calls) under the bench's
# path policy; the difference of the supervisor thread's instructions (the thread that grows
# most), over 20,000, is the cost of one stop without start-up. "all threads" adds V8's
# background threads (the optimising compiler, the collector), which vary more.
#
#   sh bench/instructions.sh [rel] [empty] [abs]     (needs valgrind and cc; takes minutes)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sysvm-instr-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/stoploop" "$ROOT/bench/peers/stoploop.c"
cat > "$WORK/policy.yaml" <<'YAML'
sysvm: 1
name: bench-paths
default: allow
rules:
  - name: no-secrets
    syscalls: [open, openat, newfstatat, stat, lstat, statx, access, faccessat2]
    match: { path: { under: ["${home}/.ssh", /etc/shadow] } }
    action: { deny: EACCES }
YAML
count() { # $1 N, $2 mode: writes "THREAD INSTRUCTIONS" lines (threads by creation order) to $WORK/n.$1
  rm -f "$WORK"/cg.*
  env -u NODE_EXTRA_CA_CERTS valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$WORK/cg.%p" \
    node "$ROOT/packages/cli/dist/sysvm.cjs" run --quiet -p "$WORK/policy.yaml" -- "$WORK/stoploop" "$1" "$2" >/dev/null 2>&1
  for f in "$WORK"/cg.*-*; do echo "${f##*-} $(sed -n 's/^summary: //p' "$f")"; done > "$WORK/n.$1"
}
[ $# -gt 0 ] || set -- rel empty abs
for mode in "$@"; do
  count 4000 "$mode"
  count 24000 "$mode"
  # the supervisor: the thread that grows most with the number of stops
  join "$WORK/n.4000" "$WORK/n.24000" | awk -v m="$mode" '
    { d = $3 - $2; all += d; if (d > top) top = d }
    END { printf "%s: supervisor %d instructions/stop, all threads %d\n", m, top / 20000, all / 20000 }'
done
