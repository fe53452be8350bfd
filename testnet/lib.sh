# Shared by the testnet scripts (sourced, not run). A swarm lives in one
# directory:
#
#   DIR/bin/commons        the binary, built once by `swarm up`
#   DIR/genesis.json       the genesis every node joins
#   DIR/swarm.key          the pre-shared key, with `swarm up --swarm-key`
#   DIR/swarm.env          N and how the swarm was made
#   DIR/nodeK/             node K's repo, and beside the repo's own files:
#     testnet.env          its ports, DID, peer ID and bootstrap address
#     daemon.log           the daemon's stderr, appended at every start
#     daemon.pid           the daemon's PID while it runs
#
# Only bash builtins and coreutils are used to read the CLI's JSON: it is
# printed indented by two spaces, so a top-level field is a line of its own.

tn_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tn_prog=${tn_prog:-$(basename "$0")}

tn_die() {
  echo "$tn_prog: $*" >&2
  [ -z "${tn_hint:-}" ] || echo "$tn_prog: $tn_hint" >&2
  exit 1
}
tn_say() { echo "$tn_prog: $*" >&2; }

# json_str FIELD: the value of a top-level string field of the JSON on stdin.
json_str() { sed -n 's/^  "'"$1"'": "\(.*\)",\{0,1\}$/\1/p' | head -n 1; }

# json_num FIELD: the value of a top-level number field of the JSON on stdin.
json_num() { sed -n 's/^  "'"$1"'": \([-+.eE0-9]*\),\{0,1\}$/\1/p' | head -n 1; }

# json_count FIELD: how many times FIELD appears, at any depth, on stdin.
json_count() { grep -c "^ *\"$1\": " || true; }

tn_bin() { echo "$tn_dir/bin/commons"; }

# tn_build: go build from the repo root, or a copy of $COMMONS_BIN when set
# (a binary built elsewhere, e.g. of another commit).
tn_build() {
  mkdir -p "$tn_dir/bin"
  if [ -n "${COMMONS_BIN:-}" ]; then
    cp "$COMMONS_BIN" "$tn_dir/bin/commons" || tn_die "cannot copy COMMONS_BIN=$COMMONS_BIN"
    return
  fi
  (cd "$tn_root" && go build -o "$tn_dir/bin/commons" ./cmd/commons) || tn_die "go build failed"
}

# tn_supports "daemon" "--bootstrap": whether the binary knows a flag of a
# command (parts of the network interface are younger than the scripts).
tn_supports() {
  local cmd=$1 flag=$2
  "$(tn_bin)" $cmd --help 2>&1 | grep -q -- "$flag"
}

# tn_has_command "swarm peers": whether the binary knows a command.
tn_has_command() { "$(tn_bin)" help $1 >/dev/null 2>&1; }

tn_load() {
  [ -f "$tn_dir/swarm.env" ] || tn_die "$tn_dir holds no swarm (run: testnet/swarm up N --dir $tn_dir)"
  # shellcheck disable=SC1091
  . "$tn_dir/swarm.env"
}

tn_node_dir() { echo "$tn_dir/node$1"; }

tn_check_k() {
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$N" ] || tn_die "no node $1 in $tn_dir (nodes 1 to $N)"
}

# tn_node_env K: loads node K's testnet.env into API_PORT, P2P_PORT, DID,
# PEER_ID, BOOTSTRAP.
tn_node_env() {
  # shellcheck disable=SC1090
  . "$(tn_node_dir "$1")/testnet.env"
}

# tn_addr K: node K's full libp2p address.
tn_addr() (
  tn_node_env "$1"
  echo "/ip4/127.0.0.1/tcp/$P2P_PORT/p2p/$PEER_ID"
)

# tn_machine: one line naming the machine, for figures.
tn_machine() {
  local cpu
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  echo "machine: $(nproc) CPUs ($cpu), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r), $(go version 2>/dev/null | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# tn_stats: min, median, p95 and max (nearest rank) of the numbers on stdin,
# one a line.
tn_stats() {
  sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "no samples"; exit }
    m = int((NR + 1) / 2); p = int(NR * 0.95); if (p < NR * 0.95) p++
    printf "n %d, min %s, median %s, p95 %s, max %s\n", NR, v[1], v[m], v[p], v[NR] }'
}

# --- ports -----------------------------------------------------------------

# tn_port_free PORT: nothing listens on 127.0.0.1:PORT (a connection is
# refused).
tn_port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# tn_pick_ports COUNT: prints COUNT free TCP ports, scanning up from
# $COMMONS_TESTNET_PORT or a random base below the kernel's ephemeral range
# (so that outgoing connections do not take them meanwhile).
tn_pick_ports() {
  local want=$1 port=${COMMONS_TESTNET_PORT:-$((20000 + RANDOM % 10000))} got=0
  while [ "$got" -lt "$want" ]; do
    [ "$port" -lt 32768 ] || tn_die "no $want free ports below 32768"
    if tn_port_free "$port"; then
      echo "$port"
      got=$((got + 1))
    fi
    port=$((port + 1))
  done
}

# --- processes ---------------------------------------------------------------

# tn_pid K: the PID of node K's daemon if it runs, else nothing and status 1.
# A PID is believed only while its command line names the node's repo, so a
# stale pid file never leads to signalling someone else's process.
tn_pid() {
  local f pid d
  d=$(tn_node_dir "$1")
  f="$d/daemon.pid"
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  tn_pid_is "$pid" "$d" || return 1
  echo "$pid"
}

# tn_pid_is PID REPO: PID is alive (not a zombie) and is the daemon of REPO.
tn_pid_is() {
  local pid=$1 repo=$2 state
  [ -r "/proc/$pid/cmdline" ] || return 1
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null) || return 1
  [ "$state" != Z ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "$repo"
}

# tn_start K: starts node K's daemon in the background, unless it runs.
tn_start() {
  local k=$1 d bs=()
  d=$(tn_node_dir "$k")
  if tn_pid "$k" >/dev/null; then
    tn_say "node $k already runs (pid $(tn_pid "$k"))"
    return 0
  fi
  tn_node_env "$k"
  if [ -z "${tn_bs_ok:-}" ]; then
    tn_bs_ok=no
    if tn_supports daemon --bootstrap; then tn_bs_ok=yes; fi
  fi
  if [ -n "$BOOTSTRAP" ] && [ "$tn_bs_ok" = yes ]; then
    bs=(--bootstrap "$BOOTSTRAP")
  fi
  tn_port_free "$API_PORT" || tn_die "node $k: port $API_PORT (api) is taken by another process"
  tn_port_free "$P2P_PORT" || tn_die "node $k: port $P2P_PORT (libp2p) is taken by another process"
  echo "--- start $(date -u +%FT%TZ)" >>"$d/daemon.log"
  "$(tn_bin)" daemon --repo "$d" --genesis "$tn_dir/genesis.json" \
    --api "127.0.0.1:$API_PORT" --listen "/ip4/127.0.0.1/tcp/$P2P_PORT" "${bs[@]}" \
    </dev/null >>"$d/daemon.log" 2>&1 &
  local pid=$! i=0
  echo "$pid" >"$d/daemon.pid"
  # Until the forked shell has exec'd the daemon, /proc/PID/cmdline is this
  # shell's, and tn_pid would take the daemon for gone (seen on a loaded
  # machine): wait for the exec, or the child's end, for at most 5 s.
  while ! tn_pid_is "$pid" "$d" && [ -r "/proc/$pid/cmdline" ] && [ "$i" -lt 500 ]; do
    [ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)" != Z ] || break
    sleep 0.01
    i=$((i + 1))
  done
}

# tn_wait_ready K [SECONDS]: waits until `commons id` answers on node K.
tn_wait_ready() {
  local k=$1 limit=${2:-30} d start=$SECONDS
  d=$(tn_node_dir "$k")
  until "$(tn_bin)" --repo "$d" id --json >/dev/null 2>&1; do
    if ! tn_pid "$k" >/dev/null; then
      tail -n 20 "$d/daemon.log" >&2
      tn_die "node $k: the daemon exited (log above, in $d/daemon.log)"
    fi
    [ $((SECONDS - start)) -lt "$limit" ] || tn_die "node $k: not ready after ${limit}s (see $d/daemon.log)"
    sleep 0.1
  done
}

# tn_peers K: how many peers node K is connected to.
tn_peers() { "$(tn_bin)" --repo "$(tn_node_dir "$1")" swarm peers --json 2>/dev/null | json_count peer_id; }

# tn_wait_peers K [SECONDS]: waits until node K has a peer.
tn_wait_peers() {
  local k=$1 limit=${2:-30} start=$SECONDS
  until [ "$(tn_peers "$k")" -gt 0 ]; do
    [ $((SECONDS - start)) -lt "$limit" ] || tn_die "node $k: no peer after ${limit}s (see $(tn_node_dir "$k")/daemon.log)"
    sleep 0.2
  done
}

# tn_stop K...: SIGTERM to each running node, then SIGKILL to any still
# running after $COMMONS_TESTNET_GRACE seconds (default 15: the daemon lets
# API requests finish for up to 10).
tn_stop() {
  local k pid grace=${COMMONS_TESTNET_GRACE:-15} start=$SECONDS left
  local -A pids=()
  for k in "$@"; do
    if pid=$(tn_pid "$k"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids[$k]=$pid
    fi
  done
  while :; do
    left=0
    for k in "${!pids[@]}"; do
      if tn_pid_is "${pids[$k]}" "$(tn_node_dir "$k")"; then left=1; fi
    done
    [ "$left" = 1 ] || break
    if [ $((SECONDS - start)) -ge "$grace" ]; then
      for k in "${!pids[@]}"; do
        if tn_pid_is "${pids[$k]}" "$(tn_node_dir "$k")"; then
          tn_say "node $k: still running ${grace}s after SIGTERM; SIGKILL"
          kill -KILL "${pids[$k]}" 2>/dev/null || true
        fi
      done
      sleep 0.2
      break
    fi
    sleep 0.1
  done
  for k in "$@"; do rm -f "$(tn_node_dir "$k")/daemon.pid"; done
}
