# shellcheck shell=bash
# Tapestry's setups for the shared anchor benchmark (anchors.sh), which Tools/bench runs with
# PLUGIN=<this file>. anchors.sh sources it and calls setup_<name>/teardown_<name> with its namespaces
# $NS_SW (the switch), $NS1 and $NS2 (the two VMs) made; each setup leaves $IF1 in $NS1 and $IF2 in $NS2
# joined through tapestryd, and sets SW_PIDS and VARIANT. Uses anchors.sh's `lg`, `bg_start`,
# `kill_pidfile` and $STATE; needs TP_BIN (tapestryd/tapestry) and BENCH_THREADS (the "all cores" N).
#
#   tap_t1 / tap_tN     daemon-made taps p1/p2 moved into the VMs, --datapath-threads 1 / N
#   sys_t1 / sys_tN     veth pairs; the switch-side ends sv1/sv2 attached as `--type system` ports
#                       (AF_PACKET, PACKET_FANOUT across the threads), --datapath-threads 1 / N
#   tap_tN_pol          as tap_tN, with a per-port policy configured on p1 and p2 that never limits
#                       this traffic (ingress/egress rates far above it, allowed addresses that match,
#                       storm limits far above it): what the policy costs when it is on but idle

# tps_start THREADS: tapestryd in $NS_SW with bridge br0; TPS = the CLI against it.
tps_start() {
    local d=$STATE/tapestry i
    rm -rf "$d"; mkdir -p "$d"
    bg_start "$d/tapestryd.pid" ip netns exec "$NS_SW" "$TP_BIN/tapestryd" \
        --run-dir "$d/run" --state-dir "$d/state" --datapath-threads "$1"
    TPS=("$TP_BIN/tapestry" --socket "$d/run/tapestryd.sock")
    for i in $(seq 1 100); do "${TPS[@]}" list-br >/dev/null 2>&1 && break; sleep 0.1; done
    lg "${TPS[@]}" add-br br0 || return 1
    SW_PIDS=$(cat "$d/tapestryd.pid")
}
tps_stop() { kill_pidfile "$STATE/tapestry/tapestryd.pid" tapestryd; }

tps_taps() {    # THREADS
    tps_start "$1" || return 1
    lg "${TPS[@]}" add-port br0 p1 --type tap --netns "$NS1" || return 1
    lg "${TPS[@]}" add-port br0 p2 --type tap --netns "$NS2" || return 1
    IF1=p1; IF2=p2
    VARIANT="tapestryd --datapath-threads $1 in $NS_SW, bridge br0, daemon-made (multi-queue, vnet header) taps p1/p2 moved into $NS1/$NS2"
}
tps_system() {  # THREADS
    tps_start "$1" || return 1
    lg ip -n "$NS_SW" link add sv1 type veth peer name eth0 netns "$NS1" || return 1
    lg ip -n "$NS_SW" link add sv2 type veth peer name eth0 netns "$NS2" || return 1
    lg ip -n "$NS_SW" link set sv1 up
    lg ip -n "$NS_SW" link set sv2 up
    lg "${TPS[@]}" add-port br0 sv1 --type system || return 1
    lg "${TPS[@]}" add-port br0 sv2 --type system || return 1
    IF1=eth0; IF2=eth0
    VARIANT="tapestryd --datapath-threads $1 in $NS_SW, veth pairs, switch-side ends sv1/sv2 as system ports (AF_PACKET); VM-side offloads left on"
}

setup_tap_t1() { tps_taps 1; }
teardown_tap_t1() { tps_stop; }
setup_tap_tN() { tps_taps "$BENCH_THREADS"; }
teardown_tap_tN() { tps_stop; }
setup_sys_t1() { tps_system 1; }
teardown_sys_t1() { tps_stop; }
setup_sys_tN() { tps_system "$BENCH_THREADS"; }
teardown_sys_tN() { tps_stop; }

setup_tap_tN_pol() {
    tps_taps "$BENCH_THREADS" || return 1
    local p ns ip mac
    for p in p1 p2; do
        ns=$([ $p = p1 ] && echo "$NS1" || echo "$NS2"); ip=$([ $p = p1 ] && echo "$IP1" || echo "$IP2")
        mac=$(ip -n "$ns" -o link show "$p" | grep -o "link/ether [0-9a-f:]*" | cut -d" " -f2)
        [ -n "$mac" ] || return 1
        lg "${TPS[@]}" set-port br0 "$p" --ingress-rate 100gbit --ingress-burst 64m \
            --egress-rate 100gbit --egress-burst 64m --allowed-address "$mac,$ip" \
            --storm-limit broadcast=1000000,multicast=1000000,unknown-unicast=1000000 || return 1
    done
    VARIANT="as tap_tN, with policy on p1/p2 that does not limit: --ingress-rate/--egress-rate 100gbit (burst 64m), --allowed-address MAC,IP of the VM, --storm-limit 1000000 pps each"
}
teardown_tap_tN_pol() { tps_stop; }
