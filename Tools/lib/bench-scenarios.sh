# Extra scenarios of Tools/bench (sourced by it; uses its helpers and variables):
#   vxlan     TCP 1 stream and ping between VMs of two simulated hosts (namespaces bench-ha/bench-hb
#             joined by a veth underlay 10.99.0.1/2): Tapestry VXLAN (a tapestryd per host, tap VMs)
#             beside Linux's vxlan device + kernel bridge + veth VMs. VM MTU 1450 in both.
#   macs      10k-MAC learning: 100,000 frames from 10,000 source MACs sent from ns1 (python AF_PACKET);
#             how fast the switch takes them in and how many entries it holds afterwards.
#   control   1,000 tap ports in one transaction; 100 ports one CLI call each; daemon RSS with 100 / 1,000 ports.
#   cluster   a 3-member etcd on the loopback of namespace bench-etcd and tapestry-clusterbench: CLUSTER_HOSTS
#             (200) simulated hosts × CLUSTER_MACS (50) MACs — registration, convergence of all hosts after a
#             cluster apply, MAC propagation p50/p99, etcd write and watch-event rates.
# Each prints its lines and records "scenario<TAB>metric<TAB>value" into $OUT/bench-scenarios.tsv.

SC_TSV=""
sc_record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$SC_TSV"; tp_say "  $1 $2 = $3"; }

# ------------------------------------------------------------------------ vxlan
sc_vx_ns() { echo bench-ha bench-hb "$NS1" "$NS2"; }
sc_vx_world() {
    # shellcheck disable=SC2046
    tp_ns_del $(sc_vx_ns)
    local n; for n in $(sc_vx_ns); do tp_ns_add "$n" || return 1; done
    ip link add ul0 netns bench-ha type veth peer name ul0 netns bench-hb || return 1
    ip -n bench-ha addr add 10.99.0.1/24 dev ul0; ip -n bench-ha link set ul0 up
    ip -n bench-hb addr add 10.99.0.2/24 dev ul0; ip -n bench-hb link set ul0 up
}
sc_vx_tapestry() {
    local h ns peer vm i=1 T
    for h in ha hb; do
        ns=bench-$h; vm=$([ $h = ha ] && echo "$NS1" || echo "$NS2"); peer=$([ $h = ha ] && echo 10.99.0.2 || echo 10.99.0.1)
        tp_start_tapestryd "$ns" "$WORK/vx-$h/run" "$WORK/vx-$h/state" "$WORK/vx-$h.log" "$WORK/vx-$h.pid" || return 1
        T=("$TP_BIN/tapestry" --socket "$WORK/vx-$h/run/tapestryd.sock")
        "${T[@]}" add-br br0 -- add-port br0 p$i --netns "$vm" --mtu 1450 \
            -- add-port br0 vx42 --type vxlan --vni 42 --remote "$peer" || return 1
        i=$((i + 1))
    done
    ip -n "$NS1" addr add "$IP1/24" dev p1; ip -n "$NS1" link set p1 up
    ip -n "$NS2" addr add "$IP2/24" dev p2; ip -n "$NS2" link set p2 up
    SW_PIDS="$(cat "$WORK/vx-ha.pid") $(cat "$WORK/vx-hb.pid")"
}
sc_vx_kernel() {
    local h ns vm i=1 local_ip peer
    for h in ha hb; do
        ns=bench-$h; vm=$([ $h = ha ] && echo "$NS1" || echo "$NS2")
        local_ip=$([ $h = ha ] && echo 10.99.0.1 || echo 10.99.0.2); peer=$([ $h = ha ] && echo 10.99.0.2 || echo 10.99.0.1)
        ip -n "$ns" link add kbr type bridge && ip -n "$ns" link set kbr up
        ip -n "$ns" link add vx42 type vxlan id 42 remote "$peer" local "$local_ip" dstport 4789 || return 1
        ip -n "$ns" link set vx42 master kbr up
        ip -n "$ns" link add v$i type veth peer name p$i netns "$vm" || return 1
        ip -n "$ns" link set v$i master kbr up
        ip -n "$vm" link set p$i mtu 1450 up
        i=$((i + 1))
    done
    ip -n "$NS1" addr add "$IP1/24" dev p1; ip -n "$NS2" addr add "$IP2/24" dev p2
    SW_PIDS=""
}
sc_vx_teardown() {
    tp_stop_pidfile "$WORK/vx-ha.pid" tapestryd; tp_stop_pidfile "$WORK/vx-hb.pid" tapestryd
    tp_stop_pidfile "$WORK/iperf3.pid" iperf3
    # shellcheck disable=SC2046
    tp_ns_del $(sc_vx_ns)
    rm -rf "$WORK"/vx-*
}
scenario_vxlan() {
    local kind r g p
    for r in $(seq 1 "$ROUNDS"); do
        for kind in tapestry kernel; do
            sc_vx_world && "sc_vx_$kind" || { tp_warn "vxlan $kind: setup failed"; sc_vx_teardown; continue; }
            ip netns exec "$NS1" ping -c 3 -i 0.2 -W 1 "$IP2" >/dev/null 2>&1 || true
            iperf_server_start || true
            iperf_client vx_tcp -t "$TCP_T"
            g=$(json_get "$WORK/vx_tcp.json" 'e["sum_received"]["bits_per_second"] / 1e9')
            t_ping
            p=$(awk -F'time=' '/time=/{split($2,a," "); print a[1]}' "$WORK/ping.txt" | sort -n | awk '{v[NR]=$1} END {print (NR ? v[int((NR+1)/2)] : "nan")}')
            sc_record "vxlan_$kind" tcp1_gbps "$g"; sc_record "vxlan_$kind" ping_p50_ms "$p"
            [ "$kind" = tapestry ] && sc_record "vxlan_$kind" tcp1_sw_cpu_pct "$CPU_PCT"
            sc_vx_teardown
        done
    done
}

# ------------------------------------------------------------------------ 10k MACs
scenario_macs() {
    tp_ns_del "$NS1" "$NS2" "$NS_SW"
    local n d T t0 t1 rx count
    for n in "$NS_SW" "$NS1" "$NS2"; do tp_ns_add "$n" || return 1; done
    d=$WORK/macs
    tp_start_tapestryd "$NS_SW" "$d/run" "$d/state" "$d.log" "$d.pid" || return 1
    T=("$TP_BIN/tapestry" --socket "$d/run/tapestryd.sock")
    "${T[@]}" add-br br0 --mac-table-size 16384 -- add-port br0 p1 --netns "$NS1" -- add-port br0 p2 --netns "$NS2"
    ip -n "$NS1" link set p1 up; ip -n "$NS2" link set p2 up
    cat >"$WORK/macs.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(("p1", 0))
frames = []
for i in range(10000):
    src = bytes([0x02, 0x00, 0x00, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])
    frames.append(bytes([0x02, 0xee, 0, 0, 0, 1]) + src + b"\x88\xb5" + b"\x00" * 46)
t = time.time()
for r in range(10):
    for f in frames: s.send(f)
print("%.3f" % (time.time() - t))
PY
    t0=$(date +%s.%N)
    ip netns exec "$NS1" "$PYTHON" "$WORK/macs.py" >"$WORK/macs.txt"
    sleep 0.5; t1=$(date +%s.%N)
    rx=$("${T[@]}" --format json stats br0 p1 | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["ports"][0]["rxPackets"])')
    count=$("${T[@]}" --format json fdb-show br0 | "$PYTHON" -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin)["entries"] if e["port"]=="p1"))')
    sc_record macs10k frames_received "$rx"
    sc_record macs10k sender_seconds "$(cat "$WORK/macs.txt")"
    sc_record macs10k received_kfps "$(awk -v r="$rx" -v s="$(cat "$WORK/macs.txt")" 'BEGIN { printf "%.0f", r / s / 1000 }')"
    sc_record macs10k macs_learned "$count"
    tp_stop_pidfile "$d.pid" tapestryd
    tp_ns_del "$NS1" "$NS2" "$NS_SW"
}

# ------------------------------------------------------------------------ control plane
scenario_control() {
    tp_ns_del "$NS_SW"
    tp_ns_add "$NS_SW" || return 1
    # Taps in the switch namespace would otherwise each run IPv6 autoconfiguration at once.
    ip netns exec "$NS_SW" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
    local d=$WORK/ctl T args i t0 t1 pid
    tp_start_tapestryd "$NS_SW" "$d/run" "$d/state" "$d.log" "$d.pid" || return 1
    pid=$(cat "$d.pid")
    T=(ip netns exec "$NS_SW" "$TP_BIN/tapestry" --socket "$d/run/tapestryd.sock")
    "${T[@]}" add-br br0
    t0=$(date +%s.%N)
    for i in $(seq 1 100); do "${T[@]}" add-port br0 c$i >/dev/null || break; done
    t1=$(date +%s.%N)
    sc_record control ports100_one_by_one_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
    sc_record control rss_100_ports_mib "$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")"
    args=(add-br br1); for i in $(seq 1 1000); do args+=(-- add-port br1 t$i); done
    t0=$(date +%s.%N); "${T[@]}" "${args[@]}" >/dev/null; t1=$(date +%s.%N)
    sc_record control ports1000_one_transaction_s "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
    sc_record control rss_1100_ports_mib "$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")"
    tp_stop_pidfile "$d.pid" tapestryd
    tp_ns_del "$NS_SW"
}

# ------------------------------------------------------------------------ cluster
scenario_cluster() {
    local ns=bench-etcd d=$WORK/etcd i port peers="" urls="" pids=() line
    command -v etcd >/dev/null || { tp_warn "etcd not installed (etcd-server): cluster scenario skipped"; return 0; }
    [ -x "$TP_BIN/tapestry-clusterbench" ] || { tp_warn "tapestry-clusterbench not built in $TP_BIN"; return 1; }
    tp_ns_del "$ns"; tp_ns_add "$ns" || return 1
    for i in 1 2 3; do
        port=$((2379 + 10000 * (i - 1)))
        peers+="${peers:+,}b$i=http://127.0.0.1:$((port + 1))"; urls+="${urls:+,}127.0.0.1:$port"
    done
    for i in 1 2 3; do
        port=$((2379 + 10000 * (i - 1)))
        ip netns exec "$ns" etcd --name b$i --data-dir "$d/b$i" \
            --listen-client-urls http://127.0.0.1:$port --advertise-client-urls http://127.0.0.1:$port \
            --listen-peer-urls http://127.0.0.1:$((port + 1)) --initial-advertise-peer-urls http://127.0.0.1:$((port + 1)) \
            --initial-cluster "$peers" --initial-cluster-state new \
            --logger zap --log-level warn >>"$d.log" 2>&1 &
        pids+=($!)
    done
    sleep 3
    ip netns exec "$ns" "$TP_BIN/tapestry-clusterbench" --cluster "etcd://$urls" \
        --hosts "${CLUSTER_HOSTS:-200}" --macs "${CLUSTER_MACS:-50}" >"$d.out" 2>>"$d.log"
    while read -r line; do sc_record cluster ${line% *} ${line##* }; done <"$d.out"
    kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null
    tp_ns_del "$ns"
}

run_scenarios() {
    SC_TSV="$OUT/bench-scenarios.tsv"
    printf 'scenario\tmetric\tvalue\n' >"$SC_TSV"
    local s
    for s in ${SCENARIOS:-vxlan macs control}; do
        tp_heading "Scenario: $s"
        CUR=""
        "scenario_$s" || tp_warn "scenario $s failed"
    done
    tp_heading "Scenarios (medians over rounds)"
    "$PYTHON" - "$SC_TSV" <<'PY' | tee "$OUT/bench-scenarios.txt"
import statistics, sys
vals = {}
for line in list(open(sys.argv[1]))[1:]:
    s, m, v = line.rstrip("\n").split("\t")
    try: vals.setdefault((s, m), []).append(float(v))
    except ValueError: pass
med = {k: statistics.median(v) for k, v in vals.items()}
for (s, m), v in sorted(med.items()):
    print(f"  {s:16} {m:30} {v:10.3f}")
t, k = med.get(("vxlan_tapestry", "tcp1_gbps")), med.get(("vxlan_kernel", "tcp1_gbps"))
if t and k: print(f"  VXLAN TCP, Tapestry / kernel vxlan + bridge: {t / k:.2f}x")
t, k = med.get(("vxlan_tapestry", "ping_p50_ms")), med.get(("vxlan_kernel", "ping_p50_ms"))
if t and k: print(f"  VXLAN ping p50, Tapestry / kernel: {t / k:.2f}x")
v = lambda s: med.get((f"vhost_{s}", "mpps_per_direction"))
for name, a, b in [("Tapestry vhost-user (kick) / Open vSwitch-DPDK", "tapestry_kick", "ovs_dpdk"),
                   ("Tapestry vhost-user (poll) / Open vSwitch-DPDK", "tapestry_poll", "ovs_dpdk"),
                   ("Tapestry vhost-user (kick) / testpmd as a switch", "tapestry_kick", "testpmd_switch"),
                   ("Tapestry vhost-user (poll) / kick", "tapestry_poll", "tapestry_kick"),
                   ("Tapestry vhost-user (kick) / Tapestry tap", "tapestry_kick", "tapestry_tap")]:
    if v(a) and v(b): print(f"  vhost loop Mpps per direction, {name}: {v(a) / v(b):.2f}x")
PY
}
