#!/usr/bin/python3
# Turns bench/run.sh's measurements into the one table of bench/README.md: per figure pushrun's
# value, the peers' values, the floor, pushrun's ratio to the peers, and the target: issue 12's
# bounds (ratios to prometheus-cpp in the same run, as absolute times on a shared machine move by
# a factor of 3 between days), issue 15's for remote write, issue 7's where neither set one.
import argparse
import datetime
import json
import os
import platform
import subprocess

PEERS = ["pushrun", "promcpp", "python", "shell"]
HEADERS = ["pushrun", "prom-cpp", "python", "sh+curl", "floor"]


def read_results(path):
    """{figure: {name: {key: float}}} from the driver's lines."""
    results = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2:
                continue
            fields = dict(p.split("=", 1) for p in parts[2:])
            results.setdefault(parts[0], {})[parts[1]] = {k: float(v) for k, v in fields.items()}
    return results


def read_micro(path):
    """{benchmark name: entry} from Google Benchmark's JSON: the median over repetitions when
    there are several, else the single run."""
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("run_type") == "aggregate":
            if b.get("aggregate_name") == "median":
                out[b["run_name"]] = b
        else:
            out.setdefault(b.get("run_name", b["name"]), b)
    return out


def to_ms(entry):
    """CPU time per iteration: single-threaded work, and far less disturbed than wall time by
    other load on a shared machine (Google Benchmark's bytes_per_second is per CPU second too)."""
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[entry["time_unit"]]
    return entry["cpu_time"] * scale


def find(micro, prefix):
    return next((e for n, e in micro.items() if n == prefix or n.startswith(prefix + "/")), None)


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        out = subprocess.run(["prometheus-pushgateway", "--version"], capture_output=True,
                             text=True)
        first = (out.stdout + out.stderr).splitlines()[0]  # "pushgateway, version 1.5.1 (...)"
        gateway = "Pushgateway " + first.split("version", 1)[1].split()[0]
    except (OSError, IndexError):
        gateway = "Pushgateway"
    return f"{os.cpu_count()} CPUs ({model}), Linux {platform.release()}; {gateway} on 127.0.0.1"


def fmt(value, digits=2):
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", required=True)
    parser.add_argument("--micro", required=True)
    parser.add_argument("--sidecar", required=True)
    args = parser.parse_args()
    res = read_results(args.results)
    micro = read_micro(args.micro)

    def get(figure, name, key):
        return res.get(figure, {}).get(name, {}).get(key)

    def added(figure, key):
        """Each wrapper's value minus the bare probe's (the probe's own exec or exit cost)."""
        bare = get(figure, "bare", key)
        out = {}
        for name in PEERS:
            value = get(figure, name, key)
            out[name] = None if value is None or bare is None else value - bare
        return out

    def ratio(a, b):
        return None if a is None or b is None or b == 0 else a / b

    rows = []  # (label, {peer: value}, floor, ratio text, target text, verdict)

    def verdict(ok):
        return "-" if ok is None else ("met" if ok else "MISSED")

    def ratios(values, invert=False):
        parts = []
        for name, label in [("promcpp", "cpp"), ("python", "py"), ("shell", "sh")]:
            r = ratio(values.get(name), values.get("pushrun")) if invert else ratio(
                values.get("pushrun"), values.get(name))
            if r is not None:
                parts.append(f"{r:.2f}x {label}")
        return ", ".join(parts)

    # 1. After the child's exit.
    after = added("overhead", "after_ms")
    p, c = after["pushrun"], after["promcpp"]
    ok = None if p is None or c is None else p <= 0.6 * c
    # The floor: the gateway's answer to the report on a connection already open (pushrun
    # opens it while the command runs), measured in-process.
    rtt = get("overhead", "post", "open_ms") or get("overhead", "post", "post_ms")
    own_part = f"pushrun-floor {p - rtt:.2f} ms; " if p is not None and rtt is not None else ""
    rows.append(("1 added after child exit (ms)", after, rtt, own_part + ratios(after),
                 "<=0.6x cpp", verdict(ok)))
    # 2. Before the child's start.
    before = added("overhead", "before_ms")
    r = ratio(before["pushrun"], before["promcpp"])
    rows.append(("2 added before child start (ms)", before, get("overhead", "bare", "before_ms"),
                 ratios(before), "<=0.25x cpp", verdict(None if r is None else r <= 0.25)))
    # 3. wrapper -- true.
    true = {n: get("true", n, "total_ms") for n in PEERS}
    r = ratio(true["pushrun"], true["promcpp"])
    rows.append(("3 `wrapper -- true` end to end (ms)", true, get("true", "bare", "total_ms"),
                 ratios(true), "<=0.9x cpp", verdict(None if r is None else r <= 0.9)))
    cpu = {n: get("true", n, "cpu_ms") for n in PEERS}
    rows.append(("3b CPU of `wrapper -- true` (ms)", cpu, get("true", "bare", "cpu_ms"),
                 ratios(cpu), "(info, load-independent)", "-"))
    # 4. Memory while the child runs.
    anon = {n: (lambda v: None if v is None else v / 1024)(get("memory", n, "rssanon_kib"))
            for n in PEERS}
    rss = {n: (lambda v: None if v is None else v / 1024)(get("memory", n, "vmrss_kib"))
           for n in PEERS}
    priv = {n: (lambda v: None if v is None else v / 1024)(get("memory", n, "private_kib"))
            for n in PEERS}
    bare_anon = get("memory", "bare", "rssanon_kib")
    bare_rss = get("memory", "bare", "vmrss_kib")
    rows.append(("4a RssAnon while child runs (MiB)", anon,
                 None if bare_anon is None else bare_anon / 1024, ratios(anon), "<=2 MiB",
                 verdict(None if anon["pushrun"] is None else anon["pushrun"] <= 2.0)))
    ok = None if rss["pushrun"] is None or rss["promcpp"] is None else rss["pushrun"] < rss[
        "promcpp"]
    rows.append(("4b VmRSS while child runs (MiB)", rss,
                 None if bare_rss is None else bare_rss / 1024, ratios(rss), "< cpp", verdict(ok)))
    rows.append(("4c private resident, smaps (MiB)", priv, None, ratios(priv), "(info)", "-"))
    tls_anon = get("memory", "pushrun_https", "rssanon_kib")
    if tls_anon is not None:
        rows.append(("4d RssAnon, https gateway (MiB)", {"pushrun": tls_anon / 1024}, None, "",
                     "<=3 MiB", verdict(tls_anon / 1024 <= 3.0)))
    # 5. The 100,000-series sidecar.
    own = micro.get("BM_Sidecar_OwnWork")
    own_ms = None if own is None or own.get("error_occurred") else to_ms(own)
    rows.append(("5a sidecar: pushrun's own work (ms)", {"pushrun": own_ms}, None, "",
                 "<=50 ms", verdict(None if own_ms is None else own_ms <= 50)))
    e2e = {n: get("sidecar", n, "total_ms") for n in PEERS}
    bare_cmd = get("sidecar", "bare", "total_ms")
    curl = get("sidecar", "curl", "total_ms")
    floor = None if bare_cmd is None or curl is None else bare_cmd + curl
    r = ratio(e2e["pushrun"], floor)
    py = ratio(e2e["python"], e2e["pushrun"])
    rows.append(("5b sidecar: end to end (ms)", e2e, floor,
                 (f"{r:.2f}x floor; " if r is not None else "") + ratios(e2e),
                 "<=1.1x floor; py >=3x", verdict(None if r is None or py is None else
                                                  (r <= 1.1 and py >= 3))))
    sidecar_after = added("sidecar", "after_ms")
    big_rtt = get("sidecar", "post", "post_ms")
    rows.append(("5c sidecar: after child exit (ms)", sidecar_after, big_rtt,
                 (f"{ratio(sidecar_after['pushrun'], curl):.2f}x bare curl; "
                  if sidecar_after["pushrun"] is not None and curl else "") +
                 ratios(sidecar_after), "(info)", "-"))
    sidecar_cpu = {n: get("sidecar", n, "cpu_ms") for n in PEERS}
    rows.append(("5d sidecar: CPU of wrapper+child (ms)", sidecar_cpu,
                 get("sidecar", "bare", "cpu_ms"), ratios(sidecar_cpu), "(info)", "-"))
    # 7. Remote write (issue 15), when pushrun has it.
    rw_true = get("true", "pushrun_rw", "total_ms")
    if rw_true is not None:
        r = ratio(rw_true, true["promcpp"])
        rows.append(("7a `pushrun --remote-write -- true` (ms)", {"pushrun": rw_true,
                                                                   "promcpp": true["promcpp"]},
                     get("true", "bare", "total_ms"),
                     "" if r is None else f"{r:.2f}x cpp's gateway push", "<=0.9x cpp",
                     verdict(None if r is None else r <= 0.9)))
    rw_own = micro.get("BM_Sidecar_OwnWork_RemoteWrite")
    rw_own_ms = None if rw_own is None or rw_own.get("error_occurred") else to_ms(rw_own)
    if rw_own_ms is not None:
        r = ratio(rw_own_ms, own_ms)
        rows.append(("7b sidecar to remote write: own work (ms)", {"pushrun": rw_own_ms}, None,
                     "" if r is None else f"{r:.2f}x 5a", "<=2x 5a",
                     verdict(None if r is None else r <= 2)))
    # 6. Micro-benchmarks.
    ours = micro.get("BM_Serialize_Pushrun_WriteText")
    theirs = micro.get("BM_Serialize_PromCpp_TextSerializer")
    ours_mbs = None if ours is None else ours["bytes_per_second"] / 1e6
    theirs_mbs = None if theirs is None else theirs["bytes_per_second"] / 1e6
    r = ratio(ours_mbs, theirs_mbs)
    rows.append(("6a text serialization (MB/s)", {"pushrun": ours_mbs, "promcpp": theirs_mbs},
                 None, "" if r is None else f"{r:.2f}x cpp", ">=2x cpp",
                 verdict(None if r is None else r >= 2)))
    parse = find(micro, "BM_Parse_Pushrun_ParseText")
    parse_mbs = None if parse is None or parse.get("error_occurred") else \
        parse["bytes_per_second"] / 1e6
    rows.append(("6b ParseText, realistic file (MB/s)", {"pushrun": parse_mbs}, None, "",
                 ">=300 MB/s", verdict(None if parse_mbs is None else parse_mbs >= 300)))

    def runs(figure):
        entry = res.get(figure, {}).get("pushrun", {})
        return int(entry.get("runs", 0))

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    size_mb = os.path.getsize(args.sidecar) / 1e6
    print()
    print(f"pushrun benchmarks, {now}")
    print(f"machine: {machine()}")
    print(f"scheduling of the gateway and the measured processes: "
          f"{os.environ.get('BENCH_SCHEDULING', 'unknown')}")
    print(f"medians of {runs('overhead')} runs (figs 1-2), {runs('true')} (3), "
          f"{runs('memory')} (4), {runs('sidecar')} (5b-c); sidecar {size_mb:.1f} MB, "
          f"100000 series; ratios are pushrun / peer")
    widths = [38, 8, 8, 8, 8, 8, 44, 24, 7]
    header = ["figure"] + HEADERS + ["ratios", "target", "verdict"]
    line = "  ".join(h.ljust(w) if i in (0, 6, 7) else h.rjust(w)
                     for i, (h, w) in enumerate(zip(header, widths)))
    print(line)
    print("-" * len(line))
    for label, values, floor, ratio_text, target, result in rows:
        cells = [label] + [fmt(values.get(n)) for n in PEERS] + [fmt(floor), ratio_text, target,
                                                                 result]
        print("  ".join(c.ljust(w) if i in (0, 6, 7) else c.rjust(w)
                        for i, (c, w) in enumerate(zip(cells, widths))))
    failed = {f"{fig}/{name}": int(v.get("failed", 0)) for fig, names in res.items()
              for name, v in names.items() if v.get("failed", 0)}
    if failed:
        print(f"failed runs (excluded): {failed}")
    phases = [(n, micro.get(n)) for n in ["BM_Sidecar_Read", "BM_Sidecar_CheckAndConvert",
                                          "BM_Sidecar_ReportAndBody"]]
    if all(e is not None and not e.get("error_occurred") for _, e in phases):
        print("5a phases: " + ", ".join(f"{n[11:]} {to_ms(e):.1f} ms" for n, e in phases))


if __name__ == "__main__":
    main()
