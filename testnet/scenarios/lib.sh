# Shared by the scenario scripts (sourced, not run). A scenario runs on the
# swarm named by $COMMONS_SCENARIO_SWARM when set (scenarios/all shares one
# swarm that way, and leaves it running), else on a swarm of its own in a
# temporary directory that it removes on exit. Set COMMONS_KEEP=1 to keep
# the temporary directory (and its daemons running) for a look afterwards,
# and COMMONS_SCENARIO_NO_GOSSIP=1 to turn announce gossip off in the
# scenario's swarm, so that what is found is found through the DHT.

scn_name=$(basename "$0")
tn_prog=$scn_name
# shellcheck disable=SC1091
. "$(dirname "$0")/../lib.sh"
scn_swarm_cmd=$tn_root/testnet/swarm
scn_t0=$(date +%s%N)
scn_tmp=$(mktemp -d "${TMPDIR:-/tmp}/commons-$scn_name.XXXXXX")
scn_dirs=() # swarms to show the logs of on failure
scn_ok=0

scn_cleanup() {
  local dir k
  if [ "$scn_ok" != 1 ]; then
    for dir in "${scn_dirs[@]}"; do
      [ -f "$dir/swarm.env" ] || continue
      for k in $(. "$dir/swarm.env"; seq 1 "$N"); do
        echo "--- last lines of $dir/node$k/daemon.log" >&2
        tail -n "${COMMONS_LOG_LINES:-8}" "$dir/node$k/daemon.log" >&2 2>/dev/null || true
      done
    done
  fi
  if [ "${COMMONS_KEEP:-0}" = 1 ]; then
    echo "$scn_name: kept $scn_tmp (stop its swarms with testnet/swarm --dir DIR down)" >&2
    return
  fi
  local f pid
  for dir in "$scn_tmp"/*/; do
    dir=${dir%/}
    [ -f "$dir/swarm.env" ] && "$scn_swarm_cmd" --dir "$dir" down >/dev/null 2>&1 || true
    # Should down have failed, no daemon of ours outlives the directory.
    for f in "$dir"/node*/daemon.pid; do
      [ -s "$f" ] || continue
      pid=$(cat "$f")
      if tn_pid_is "$pid" "$(dirname "$f")"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
  done
  rm -rf "$scn_tmp"
}
trap scn_cleanup EXIT
trap 'echo "FAIL $scn_name: status $? at line $LINENO of $0: $BASH_COMMAND" >&2' ERR

fail() {
  echo "FAIL $scn_name: $*" >&2
  exit 1
}

pass() {
  scn_ok=1
  echo "PASS $scn_name ($(since "$scn_t0")s): $*"
}

step() { echo "  $scn_name: $*" >&2; }

# since T0: seconds, with a tenth, from a `date +%s%N` reading to now.
since() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# up NAME N [swarm up options]: brings up a swarm of N nodes in
# $scn_tmp/NAME and prints its directory.
up() {
  local name=$1 n=$2 dir=$scn_tmp/$1
  shift 2
  "$scn_swarm_cmd" --dir "$dir" up "$n" "$@" >"$scn_tmp/$name.up.log" 2>&1 || {
    cat "$scn_tmp/$name.up.log" >&2
    fail "swarm up $n $* failed"
  }
  echo "$dir"
}

# use_swarm MIN [swarm up options]: the scenario's main swarm, of at least
# MIN nodes, becomes tn_dir (N is its size).
use_swarm() {
  local min=$1
  shift
  if [ -n "${COMMONS_SCENARIO_SWARM:-}" ]; then
    tn_dir=$COMMONS_SCENARIO_SWARM
  else
    if [ "${COMMONS_SCENARIO_NO_GOSSIP:-0}" = 1 ]; then set -- "$@" --no-gossip; fi
    tn_dir=$(up main "$min" "$@")
  fi
  scn_dirs+=("$tn_dir")
  # Further swarms of the scenario copy this binary rather than link
  # another (about 4 s on two cores).
  export COMMONS_BIN=${COMMONS_BIN:-$tn_dir/bin/commons}
  tn_load
  [ "$N" -ge "$min" ] || fail "needs a swarm of $min nodes, $tn_dir has $N"
}

# at DIR K ARGS...: runs commons ARGS... against node K of the swarm in DIR.
at() {
  local dir=$1 k=$2
  shift 2
  "$dir/bin/commons" --repo "$dir/node$k" "$@"
}

# node K ARGS...: commons ARGS... against node K of the main swarm.
node() { at "$tn_dir" "$@"; }

# node_var K NAME: a value of node K's testnet.env (DID, PEER_ID, ...).
node_var() (
  tn_node_env "$1"
  eval "echo \"\$$2\""
)

# timeout_opt DURATION: --timeout DURATION for the query commands, when the
# binary has it.
timeout_opt() {
  if tn_supports attribution --timeout; then echo "--timeout $1"; fi
}

# make_files DIR COUNT: COUNT small files of random content in DIR.
make_files() {
  mkdir -p "$1"
  local i
  for i in $(seq 1 "$2"); do
    printf '%s part %d\n' "$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" "$i" >"$1/part-$i.txt"
  done
}

# eventually LIMIT WHAT CHECK...: runs CHECK until it succeeds, for at most
# LIMIT seconds, and prints how long it took; fails the scenario with WHAT
# and CHECK's last output otherwise.
eventually() {
  local limit=$1 what=$2 t0
  shift 2
  t0=$(date +%s%N)
  until "$@" >"$scn_tmp/check.out" 2>&1; do
    if [ $((($(date +%s%N) - t0) / 1000000000)) -ge "$limit" ]; then
      sed 's/^/    /' "$scn_tmp/check.out" | tail -n 20 >&2
      fail "$what: not so after ${limit}s"
    fi
    sleep 0.2
  done
  since "$t0"
}

# addr_of DIR K: the libp2p address of node K of the swarm in DIR.
addr_of() (
  tn_dir=$1
  tn_addr "$2"
)

# json_object_with FIELD VALUE: the innermost object of the indented JSON on
# stdin, at any depth, whose string field FIELD is VALUE (e.g. the
# contributor of one claim in `attribution --json`); nothing when none is.
json_object_with() {
  awk -v want="\"$1\": \"$2\"" '
    function indent(s) { match(s, /^ */); return RLENGTH }
    { line[NR] = $0 }
    END {
      for (i = 1; i <= NR; i++) {
        s = line[i]; sub(/^ */, "", s); sub(/,$/, "", s)
        if (s != want) continue
        in_ = indent(line[i]) - 2
        for (a = i - 1; a >= 1 && !(indent(line[a]) == in_ && line[a] ~ /\{$/); a--) ;
        for (b = i + 1; b <= NR && !(indent(line[b]) == in_ && line[b] ~ /^ *\}/); b++) ;
        for (j = a; j <= b && j <= NR; j++) if (j >= 1) print line[j]
        exit
      }
    }'
}
