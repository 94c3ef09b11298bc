# The vhost scenario of Tools/bench (sourced by it after bench-scenarios.sh; uses its helpers):
#   vhost   64-byte frames circling between two ports of the switch under test, driven by ONE
#           dpdk-testpmd with two virtio-user ports (io forwarding with retry, tx_first): the shared
#           tools' loop-bench.sh (VHOST_TOOLS, default ../shared/tools/vhost-user beside the
#           repository; called, not copied). Two pollers on 2 cores: testpmd on CPU 0, the switch on CPU 1.
#             tapestry_kick   tapestryd --datapath-threads 1 --spin-us 0: kick-driven (kicks off and
#                             the queues polled while frames keep coming, back to kicks when idle)
#             tapestry_poll   tapestryd --datapath-threads 1 --spin-us 1000000: keeps polling
#             ovs_dpdk        Open vSwitch 3.1 with DPDK (the tools' ovs-dpdk-up.sh), port-to-port flows
#             testpmd_switch  dpdk-testpmd with two vhost ports (net_vhost) in io mode, as a 2-port switch
#             tapestry_tap    Tapestry's tap path under the same testpmd: two daemon-made taps, testpmd
#                             on them through af_packet ports (frames cross the kernel twice per hop)
#           Tapestry's bridge is in hub mode (no learning: the frames' source MACs flap between the
#           two ports, and Open vSwitch runs port-to-port flows). VHOST_RUNS (5) rounds, setups back to
#           back within a round, VHOST_T (5) s each; medians of Mpps per direction (the mean of the two
#           ports' rx rates) and ratios. The load average is recorded with each figure. testpmd sends its
#           first burst VHOST_WARM (5) s after it starts. A run whose two ports' rates differ by more
#           than 20 % (one direction's first burst lost: seen with Open vSwitch-DPDK) is run again
#           once, and left out (with a warning) if it differs again.

VHOST_TOOLS=${VHOST_TOOLS:-$TP_ROOT/../shared/tools/vhost-user}
VHOST_RUNS=${VHOST_RUNS:-5}
VHOST_T=${VHOST_T:-5}
# Seconds between testpmd's start and its first burst. Each direction of the loop is a cycle of its
# own (port 0 rx → port 1 tx → switch → port 0 rx, and the other way), so a switch that drops the
# first burst of one direction (a port not ready yet) leaves that cycle empty for the whole run.
VHOST_WARM=${VHOST_WARM:-5}
VHOST_SETUPS=${VHOST_SETUPS:-"tapestry_kick tapestry_poll ovs_dpdk testpmd_switch tapestry_tap"}

# sc_vh_tapestryd SPIN_US: tapestryd in $NS_SW on CPU 1 with one datapath thread, hub bridge br0; sets VH_T.
sc_vh_tapestryd() {
    local d=$WORK/vhost-tapestry i
    rm -rf "$d"; mkdir -p "$d/run" "$d/state"
    nohup ip netns exec "$NS_SW" taskset -c 1 "$TP_BIN/tapestryd" --run-dir "$d/run" --state-dir "$d/state" \
        --datapath-threads 1 --spin-us "$1" </dev/null >>"$d.log" 2>&1 &
    echo $! >"$d.pid"
    VH_T=("$TP_BIN/tapestry" --socket "$d/run/tapestryd.sock")
    for i in $(seq 1 100); do "${VH_T[@]}" list-br >/dev/null 2>&1 && break; sleep 0.1; done
    "${VH_T[@]}" add-br br0 --mode hub >/dev/null || return 1
    VH_DIR=$d
}

# sc_vh_start SETUP: starts the switch of SETUP; sets VH_SOCKS (two sockets) or, for the tap path, VH_TAPS.
sc_vh_start() {
    VH_SOCKS=""; VH_TAPS=""; VH_PIDFILES=""
    case $1 in
        tapestry_kick|tapestry_poll)
            sc_vh_tapestryd "$([ "$1" = tapestry_poll ] && echo 1000000 || echo 0)" || return 1
            "${VH_T[@]}" add-port br0 vh0 --type vhost-user >/dev/null || return 1
            "${VH_T[@]}" add-port br0 vh1 --type vhost-user >/dev/null || return 1
            VH_SOCKS="$VH_DIR/run/vhost-user/vh0.sock $VH_DIR/run/vhost-user/vh1.sock"
            VH_PIDFILES="$VH_DIR.pid" ;;
        tapestry_tap)
            sc_vh_tapestryd 0 || return 1
            # The taps stay in the switch's namespace; testpmd (on the host side of them) uses af_packet.
            "${VH_T[@]}" add-port br0 vt0 --type tap >/dev/null || return 1
            "${VH_T[@]}" add-port br0 vt1 --type tap >/dev/null || return 1
            ip -n "$NS_SW" link set vt0 up && ip -n "$NS_SW" link set vt1 up
            VH_TAPS="vt0 vt1"; VH_PIDFILES="$VH_DIR.pid" ;;
        ovs_dpdk)
            local o=$WORK/vhost-ovs
            mkdir -p "$o"
            VH_SOCKS=$("$VHOST_TOOLS/ovs-dpdk-up.sh" "$o" server 2>"$o/up.err" | xargs) || { cat "$o/up.err" >&2; return 1; }
            VH_PIDFILES="$o/ovs-vswitchd.pid $o/ovsdb-server.pid"
            sleep 2 ;;
        testpmd_switch)
            local t=$WORK/vhost-testpmd
            rm -rf "$t"; mkdir -p "$t"
            # Its commands come from a fifo held open by a sleep (both pids recorded, stopped by pid).
            mkfifo "$t/cmd"
            sleep 3600 >"$t/cmd" &
            echo $! >"$t/holder.pid"
            dpdk-testpmd --lcores '0@1,1@1' --no-pci --no-huge -m 512 --file-prefix vhsw$$ \
                --vdev "net_vhost0,iface=$t/s0.sock" --vdev "net_vhost1,iface=$t/s1.sock" \
                -- -i --forward-mode=io --auto-start --nb-cores=1 --total-num-mbufs=32768 <"$t/cmd" >"$t/log" 2>&1 &
            echo $! >"$t/pid"
            for _ in $(seq 1 100); do [ -S "$t/s1.sock" ] && break; sleep 0.1; done
            VH_SOCKS="$t/s0.sock $t/s1.sock"; VH_PIDFILES="$t/pid $t/holder.pid" ;;
    esac
}

sc_vh_stop() {
    local f
    for f in $VH_PIDFILES; do tp_stop_pidfile "$f" ""; done
    VH_PIDFILES=""
}

# sc_vh_tap_loop TAP0 TAP1 SECONDS: loop-bench's load on two taps (af_packet ports, testpmd in the
# switch's namespace on CPU 0); prints "Mpps (port 0 rx, port 1 rx): a b".
sc_vh_tap_loop() {
    local log; log=$(mktemp /tmp/vhost-tap-loop.XXXXXX)
    ( sleep "$VHOST_WARM"; echo "set fwd io retry"; echo "start tx_first 8"; sleep 2
      echo "show port stats all"; sleep "$3"; echo "show port stats all"; echo stop; sleep 1; echo quit ) |
    timeout -s INT $(($3 + 25)) ip netns exec "$NS_SW" dpdk-testpmd --lcores '0@0,1@0' --no-pci --no-huge -m 512 \
        --file-prefix vhtap$$ --vdev "net_af_packet0,iface=$1" --vdev "net_af_packet1,iface=$2" \
        -- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=32768 >"$log" 2>&1
    echo "Mpps (port 0 rx, port 1 rx): $(grep Rx-pps "$log" | tail -2 | awk '{printf "%.2f ", $2/1e6}')"
    rm -f "$log"
}

scenario_vhost() {
    command -v dpdk-testpmd >/dev/null || { tp_warn "vhost: dpdk-testpmd missing (package dpdk-dev): skipped"; return 0; }
    [ -x "$VHOST_TOOLS/loop-bench.sh" ] || { tp_warn "vhost: $VHOST_TOOLS/loop-bench.sh missing: skipped"; return 0; }
    tp_ns_del "$NS_SW"; tp_ns_add "$NS_SW" || return 1
    local round s out a b load
    for round in $(seq 1 "$VHOST_RUNS"); do
        for s in $VHOST_SETUPS; do
            if [ "$s" = ovs_dpdk ] && [ ! -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ]; then
                tp_warn "vhost: openvswitch-switch-dpdk missing: ovs_dpdk skipped"; continue
            fi
            # Each direction is a cycle of its own (see VHOST_WARM): a run where one port's rate is under
            # 80 % of the other's measured one direction, not the loop (Open vSwitch-DPDK, 3 s after
            # testpmd's start: 2.30 and 0.00 Mpps, 256 frames through its flow of the dead direction,
            # the first burst), and is run once more; a second such run is not recorded.
            local attempt
            for attempt in 1 2; do
                sc_vh_start "$s" || { tp_warn "vhost: $s did not start"; sc_vh_stop; a=; b=; break; }
                load=$(cut -d' ' -f1 /proc/loadavg)
                if [ -n "$VH_TAPS" ]; then
                    # shellcheck disable=SC2086
                    out=$(sc_vh_tap_loop $VH_TAPS "$VHOST_T")
                else
                    # shellcheck disable=SC2086
                    out=$(CPU=0 WARM="$VHOST_WARM" "$VHOST_TOOLS/loop-bench.sh" $VH_SOCKS "$VHOST_T")
                fi
                sc_vh_stop
                a=$(sed -n 's/^Mpps (port 0 rx, port 1 rx): *\([0-9.]*\) *\([0-9.]*\).*/\1/p' <<<"$out")
                b=$(sed -n 's/^Mpps (port 0 rx, port 1 rx): *\([0-9.]*\) *\([0-9.]*\).*/\2/p' <<<"$out")
                if [ -z "$a" ] || [ -z "$b" ]; then tp_warn "vhost: $s gave no figures: $out"; break; fi
                awk -v a="$a" -v b="$b" 'BEGIN { lo = a < b ? a : b; hi = a < b ? b : a; exit !(hi > 0 && lo >= 0.8 * hi) }' && break
                tp_warn "vhost: $s round $round: the two directions differ ($a and $b Mpps), attempt $attempt of 2"
                a=; b=
            done
            if [ -z "$a" ] || [ -z "$b" ]; then continue; fi
            sc_record "vhost_$s" mpps_per_direction "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", (a + b) / 2 }')"
            sc_record "vhost_$s" load_average_1min "$load"
        done
    done
    tp_ns_del "$NS_SW"
}
