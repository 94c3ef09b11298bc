#!/usr/bin/env python3
"""Tools/bench's result table: the medians of anchors.sh's raw rows (two passes: TCP 1 and 4 streams),
tapestry-corebench's rounds and the scenarios, side by side, with Tapestry's ratios against the
anchors and issue 11/16's targets. Prints the table; writes the medians and ratios as TSV."""
import argparse, math, os, statistics

ap = argparse.ArgumentParser()
for a in ("tcp1", "tcp4", "core", "scenarios", "info", "tsv"):
    ap.add_argument("--" + a, default="")
ap.add_argument("--threads", default="N")
ap.add_argument("--rounds", default="?")
o = ap.parse_args()

# anchors.sh raw columns after "# raw": setup round tcp udp_tx udp_rx avg p50 p99 loss tcp_sw tcp_sys udp_sw udp_sys foreign
COLS = ["tcp", "udp_tx", "udp_rx", "ping_avg", "ping_p50", "ping_p99", "ping_loss", "tcp_sw", "tcp_sys", "udp_sw", "udp_sys", "foreign"]


def anchors_raw(path):
    vals = {}
    if not path or not os.path.exists(path):
        return vals
    raw = False
    for line in open(path, errors="replace"):
        if line.startswith("# raw"):
            raw = True
            continue
        if not raw:
            continue
        f = line.rstrip("\n").split("\t")
        if len(f) < 2 + len(COLS):
            continue
        for c, v in zip(COLS, f[2:]):
            try:
                x = float(v)
            except ValueError:
                continue
            if not math.isnan(x):
                vals.setdefault((f[0], c), []).append(x)
    return vals


def med(vals, key):
    v = vals.get(key)
    return statistics.median(v) if v else None


p1, p4 = anchors_raw(o.tcp1), anchors_raw(o.tcp4)
N = o.threads
names = {"linuxbr": "Linux bridge", "ovs_tap": "OVS tap", "ovs_tap_tso": "OVS tap+TSO", "ovs_veth": "OVS system",
         "vde": "VDE", "tap_t1": "Tap tap 1thr", "tap_tN": f"Tap tap {N}thr", "sys_t1": "Tap sys 1thr",
         "sys_tN": f"Tap sys {N}thr", "tap_tN_pol": f"Tap tap {N}thr+policy"}
order = [s for s in names if any(k[0] == s for k in list(p1) + list(p4))]


def value(setup, metric):
    if metric == "tcp1":
        return med(p1, (setup, "tcp"))
    if metric == "tcp4":
        return med(p4, (setup, "tcp"))
    if metric == "udp_lost_pct":
        tx, rx = med(p1, (setup, "udp_tx")), med(p1, (setup, "udp_rx"))
        return None if not tx or rx is None else 100 * (tx - rx) / tx
    if metric == "tcp4_sw":
        return med(p4, (setup, "tcp_sw"))
    return med(p1, (setup, metric))


rows = [  # key, label, unit, scale, format
    ("tcp1", "TCP, 1 stream", "Gbit/s", 1, "{:.2f}"),
    ("tcp4", "TCP, 4 streams", "Gbit/s", 1, "{:.2f}"),
    ("udp_rx", "UDP 64 B delivered", "kpps", 1e-3, "{:.0f}"),
    ("udp_tx", "UDP 64 B offered (iperf3 sent)", "kpps", 1e-3, "{:.0f}"),
    ("udp_lost_pct", "UDP 64 B lost (offered-delivered)", "%", 1, "{:.0f}"),
    ("ping_p50", "ping p50", "ms", 1, "{:.3f}"),
    ("ping_p99", "ping p99", "ms", 1, "{:.3f}"),
    ("ping_loss", "ping loss", "%", 1, "{:.1f}"),
    ("tcp_sw", "switch CPU, TCP 1 stream", "% core", 1, "{:.0f}"),
    ("tcp4_sw", "switch CPU, TCP 4 streams", "% core", 1, "{:.0f}"),
    ("udp_sw", "switch CPU, UDP 64 B", "% core", 1, "{:.0f}"),
    ("foreign", "other processes' CPU, worst test", "% core", 1, "{:.0f}"),
]
head = ["metric", "unit"] + [names[s] for s in order]
table, tsv = [], [["metric", "unit"] + order]
for key, label, unit, scale, fmt in rows:
    r, t = [label, unit], [key, unit]
    for s in order:
        v = value(s, key)
        r.append("n/a" if v is None else fmt.format(v * scale))
        t.append("nan" if v is None else f"{v:g}")
    table.append(r); tsv.append(t)
w = [max(len(str(x[i])) for x in [head] + table) for i in range(len(head))]
line = lambda r: "  ".join((str(c).ljust(w[i]) if i < 2 else str(c).rjust(w[i])) for i, c in enumerate(r))
print(line(head)); print("  ".join("-" * x for x in w))
for r in table:
    print(line(r))
print(f"(medians of {o.rounds} round(s) of anchors.sh; CPU in % of one core; the kernel bridge has no switch process)")

# The switching core alone and the scenarios.
core, core2, scaling = [], [], []
if o.core and os.path.exists(o.core):
    for line in list(open(o.core))[1:]:
        f = line.rstrip("\n").split("\t")
        try:
            x = float(f[1])
            if not math.isnan(x):
                core.append(x)
            # Two threads on one bridge (older files have no third column); the ratio per round.
            y = float(f[2]) if len(f) > 2 else math.nan
            if not math.isnan(y):
                core2.append(y)
                if not math.isnan(x) and x > 0:
                    scaling.append(y / x)
        except (ValueError, IndexError):
            pass
sc = {}
if o.scenarios and os.path.exists(o.scenarios):
    for line in list(open(o.scenarios))[1:]:
        f = line.rstrip("\n").split("\t")
        try:
            sc.setdefault((f[0], f[1]), []).append(float(f[2]))
        except (ValueError, IndexError):
            pass
scm = {k: statistics.median(v) for k, v in sc.items() if v}

# Ratios against the targets (issue 11; issue 13's vhost-user loop; issue 16's "no regression when the policy is off").
def ratio(a, b):
    return None if a is None or not b else a / b

targets = [  # label, ratio, comparison, target
    ("TCP 1 stream, tap Nthr / Linux bridge", ratio(value("tap_tN", "tcp1"), value("linuxbr", "tcp1")), ">=", 1.0),
    ("TCP 4 streams, tap Nthr / Linux bridge", ratio(value("tap_tN", "tcp4"), value("linuxbr", "tcp4")), ">=", 0.6),
    ("TCP 4 streams, tap Nthr / OVS tap+TSO", ratio(value("tap_tN", "tcp4"), value("ovs_tap_tso", "tcp4")), ">=", 1.5),
    ("UDP 64 B delivered, tap Nthr / OVS tap+TSO", ratio(value("tap_tN", "udp_rx"), value("ovs_tap_tso", "udp_rx")), ">=", 1.3),
    ("ping p99, tap Nthr / Linux bridge", ratio(value("tap_tN", "ping_p99"), value("linuxbr", "ping_p99")), "<=", 1.2),
    ("ping p50, tap Nthr / OVS tap", ratio(value("tap_tN", "ping_p50"), value("ovs_tap", "ping_p50")), "<=", 1.0),
    ("VXLAN TCP, Tapestry / kernel vxlan+bridge", ratio(scm.get(("vxlan_tapestry", "tcp1_gbps")), scm.get(("vxlan_kernel", "tcp1_gbps"))), ">=", 1.0),
    ("core alone, Mframes/s on one thread", statistics.median(core) if core else None, ">=", 20.0),
    ("core alone, Mframes/s on two threads (one shared MAC table)", statistics.median(core2) if core2 else None, ">=", None),
    ("core alone, two threads / one thread", statistics.median(scaling) if scaling else None, ">=", 1.8),
    ("TCP 1 stream, system Nthr / OVS system", ratio(value("sys_tN", "tcp1"), value("ovs_veth", "tcp1")), ">=", None),
    ("TCP 1 stream, system Nthr / Linux bridge", ratio(value("sys_tN", "tcp1"), value("linuxbr", "tcp1")), ">=", None),
    ("UDP 64 B delivered, system Nthr / OVS system", ratio(value("sys_tN", "udp_rx"), value("ovs_veth", "udp_rx")), ">=", None),
    ("TCP 4 streams, tap Nthr / tap 1thr (what the threads bought)", ratio(value("tap_tN", "tcp4"), value("tap_t1", "tcp4")), ">=", None),
    ("UDP 64 B delivered, tap Nthr / tap 1thr", ratio(value("tap_tN", "udp_rx"), value("tap_t1", "udp_rx")), ">=", None),
    ("TCP 4 streams, system Nthr / system 1thr", ratio(value("sys_tN", "tcp4"), value("sys_t1", "tcp4")), ">=", None),
    # Issue 13: the vhost-user loop (Mpps per direction, medians of the interleaved runs); the target is
    # for the default, kick-driven mode (polling is shown beside it: which wins on 2 shared cores).
    ("vhost-user loop, Tapestry kick-driven / OVS-DPDK", ratio(scm.get(("vhost_tapestry_kick", "mpps_per_direction")), scm.get(("vhost_ovs_dpdk", "mpps_per_direction"))), ">=", 1.0),
    ("vhost-user loop, Tapestry polling / OVS-DPDK", ratio(scm.get(("vhost_tapestry_poll", "mpps_per_direction")), scm.get(("vhost_ovs_dpdk", "mpps_per_direction"))), ">=", None),
    ("vhost-user loop, Tapestry kick-driven / Tapestry taps", ratio(scm.get(("vhost_tapestry_kick", "mpps_per_direction")), scm.get(("vhost_tapestry_tap", "mpps_per_direction"))), ">=", 10.0),
    ("policy configured / off: TCP 1 stream", ratio(value("tap_tN_pol", "tcp1"), value("tap_tN", "tcp1")), "~", 1.0),
    ("policy configured / off: UDP 64 B delivered", ratio(value("tap_tN_pol", "udp_rx"), value("tap_tN", "udp_rx")), "~", 1.0),
    ("policy configured / off: ping p50", ratio(value("tap_tN_pol", "ping_p50"), value("tap_tN", "ping_p50")), "~", 1.0),
    ("policy configured / off: switch CPU, UDP 64 B", ratio(value("tap_tN_pol", "udp_sw"), value("tap_tN", "udp_sw")), "~", 1.0),
]
def noise(label):
    """The spread of tap_tN's own rounds for the metric of a policy row (max-min over the median)."""
    col = {"TCP 1 stream": "tcp", "UDP 64 B delivered": "udp_rx", "ping p50": "ping_p50", "switch CPU, UDP 64 B": "udp_sw"}
    for k, c in col.items():
        if label.endswith(k):
            v = p1.get(("tap_tN", c))
            if v and statistics.median(v):
                return f"{(max(v) - min(v)) / statistics.median(v) * 100:.0f} % spread"
    return "n/a"


print()
print(f"Ratios (N = {N} datapath threads)".ljust(64) + "  ratio   target")
for label, r, cmp, tgt in targets:
    label = label.replace("Nthr", f"{N}thr")
    if r is None:
        shown = "n/a"
    elif label.startswith("core") and "Mframes" in label:
        shown = f"{r:.1f}"
    else:
        shown = f"{r:.2f}x"
    if tgt is None:
        verdict = ""
    elif r is None:
        verdict = f"{cmp} {tgt:g}  (not measured)"
    elif cmp == "~":
        verdict = f"~ {tgt:g}; policy off, round to round: {noise(label)}"
    else:
        ok = r >= tgt if cmp == ">=" else r <= tgt
        verdict = f"{cmp} {tgt:g}  {'met' if ok else 'MISSED'}"
    print(f"  {label:62}{shown:>7}   {verdict}")
    tsv.append([label, "ratio", "nan" if r is None else f"{r:.4g}"])
if scm:
    print("\nScenarios (medians)")
    for (s, m), v in sorted(scm.items()):
        print(f"  {s:16} {m:30} {v:10.3f}")
if o.info and os.path.exists(o.info):
    loads = [l.strip() for l in open(o.info) if l.startswith("load ")]
    if loads:
        print("\nMachine load during the run (uptime):")
        for l in loads:
            print("  " + l)
if o.tsv:
    with open(o.tsv, "w") as f:
        for t in tsv:
            f.write("\t".join(t) + "\n")
