# shellcheck shell=bash
# Shared helpers for Tools/demo and Tools/bench (sourced, not run).
#
# Rules these helpers keep: processes are stopped by pid (checked against the expected command
# name), never by name; only namespaces whose names the caller passes are ever deleted; nothing
# here touches the root namespace's links, addresses, routes, sysctls or firewall.

# The repository's top folder (this file lives in Tools/lib/).
TP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# shellcheck disable=SC2034  # some colours are used only by the scripts that source this file
if [ -t 1 ]; then
    TP_BOLD=$'\e[1m' TP_DIM=$'\e[2m' TP_RED=$'\e[31m' TP_GREEN=$'\e[32m' TP_YELLOW=$'\e[33m' TP_RESET=$'\e[0m'
else
    TP_BOLD='' TP_DIM='' TP_RED='' TP_GREEN='' TP_YELLOW='' TP_RESET=''
fi

tp_say()     { printf '%s\n' "$*"; }
tp_heading() { printf '\n%s== %s ==%s\n' "$TP_BOLD" "$*" "$TP_RESET"; }
tp_step()    { printf '%s-- %s%s\n' "$TP_DIM" "$*" "$TP_RESET"; }
tp_warn()    { printf '%swarning:%s %s\n' "$TP_YELLOW" "$TP_RESET" "$*" >&2; }
tp_die()     { printf '%serror:%s %s\n' "$TP_RED" "$TP_RESET" "$*" >&2; exit 1; }

tp_require_root() {
    [ "$(id -u)" = 0 ] || tp_die "$(basename "$0") must run as root (it creates network namespaces and tap devices)"
    command -v ip >/dev/null || tp_die "'ip' (iproute2) is missing; run: source Tools/install-deps"
}

# Puts /opt/swift on PATH when swift is not found there already.
tp_swift_path() {
    command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
    command -v swift >/dev/null 2>&1 || tp_die "swift toolchain not found (expected /opt/swift/usr/bin/swift)"
}

# Builds tapestryd and tapestry in release mode and sets TP_BIN to the folder holding them.
# With TAPESTRY_BIN_DIR set, uses the binaries already there and builds nothing.
tp_build_release() {
    if [ -n "${TAPESTRY_BIN_DIR:-}" ]; then
        TP_BIN=$(cd "$TAPESTRY_BIN_DIR" && pwd)
        tp_step "using prebuilt binaries in $TP_BIN (TAPESTRY_BIN_DIR)"
    else
        tp_swift_path
        tp_step "swift build -c release"
        local log; log=$(mktemp /tmp/tapestry-build.XXXXXX)
        if ! (cd "$TP_ROOT" && swift build -c release) >"$log" 2>&1; then
            tail -40 "$log" >&2; rm -f "$log"
            tp_die "release build failed (full output above)"
        fi
        tail -1 "$log"; rm -f "$log"
        TP_BIN=$(cd "$TP_ROOT" && swift build -c release --show-bin-path)
    fi
    { [ -x "$TP_BIN/tapestryd" ] && [ -x "$TP_BIN/tapestry" ]; } || tp_die "tapestryd/tapestry not found in $TP_BIN"
}

tp_ns_exists() { [ -e "/run/netns/$1" ] || ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }

# tp_ns_add NAME: a fresh namespace with lo up (an old one of that name is removed first).
tp_ns_add() {
    tp_ns_del "$1"
    ip netns add "$1"
    ip -n "$1" link set lo up
}

# tp_ns_del NAME...: stops every process still inside each namespace (by pid), then deletes it.
tp_ns_del() {
    local ns pid
    for ns in "$@"; do
        tp_ns_exists "$ns" || continue
        for pid in $(ip netns pids "$ns" 2>/dev/null); do tp_stop_pid "$pid" ""; done
        ip netns del "$ns" 2>/dev/null || tp_warn "could not delete namespace $ns"
    done
    return 0
}

# tp_stop_pid PID COMM: SIGTERM, wait up to 5 s, then SIGKILL. With COMM non-empty, only a process
# whose /proc/PID/comm is COMM is signalled (so a stale pidfile never hits an unrelated process).
tp_stop_pid() {
    local pid=$1 want=$2
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 0
    if [ -n "$want" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$want" ]; then return 0; fi
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        [ -d "/proc/$pid" ] || return 0
        grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
}

# tp_stop_pidfile FILE COMM: tp_stop_pid on the pid in FILE, then removes FILE.
tp_stop_pidfile() {
    local f=$1
    [ -f "$f" ] || return 0
    tp_stop_pid "$(tr -dc '0-9' <"$f")" "$2"
    rm -f "$f"
}

# tp_start_tapestryd NS RUN_DIR STATE_DIR LOG PIDFILE: starts tapestryd inside NS (detached from the
# terminal), records its pid and waits until its control socket answers (10 s at most). Returns 1
# (after showing the log's tail) when it does not come up.
tp_start_tapestryd() {
    local ns=$1 run=$2 state=$3 log=$4 pidfile=$5 pid
    mkdir -p "$run" "$state"
    nohup ip netns exec "$ns" "$TP_BIN/tapestryd" --run-dir "$run" --state-dir "$state" \
        </dev/null >>"$log" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    for _ in $(seq 1 100); do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -20 "$log" >&2
            tp_warn "tapestryd exited at start (log: $log)"; return 1
        fi
        [ -S "$run/tapestryd.sock" ] && "$TP_BIN/tapestry" --socket "$run/tapestryd.sock" list-br >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    tail -20 "$log" >&2
    tp_warn "tapestryd did not answer on $run/tapestryd.sock within 10 s (log: $log)"; return 1
}

# /proc/PID/stat utime+stime summed over the given pids (all threads of each), in clock ticks.
tp_cpu_ticks() {
    local t=0 p v
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        v=$(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')
        t=$((t + v))
    done
    echo "$t"
}
