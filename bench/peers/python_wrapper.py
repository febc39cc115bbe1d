#!/usr/bin/python3
# A peer for the benchmarks only (never part of the product): pushrun's job in Python with the
# official client (Debian's python3-prometheus-client, hence /usr/bin/python3).
#
#   python_wrapper.py --gateway URL --job JOB [-g NAME=VALUE]... -- CMD ARGS...
#
# It runs the command with PUSHRUN_METRICS_FILE naming an empty 0600 file in a fresh private
# directory, waits with os.wait4 for the resource usage, sets the same gauges as pushrun's report,
# parses the sidecar with text_string_to_metric_families and re-exposes its families through a
# collector (a sidecar that does not parse is dropped and pushrun_sidecar_valid is 0), and pushes
# everything in one POST with pushadd_to_gateway.
import os
import shutil
import subprocess
import sys
import tempfile
import time

from prometheus_client import CollectorRegistry, Gauge, pushadd_to_gateway
from prometheus_client.parser import text_string_to_metric_families


class Families:
    """Re-exposes parsed families as they are."""

    def __init__(self, families):
        self.families = families

    def collect(self):
        return iter(self.families)


def parse_args(argv):
    gateway, job, groupings = None, None, {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return gateway, job, groupings, argv[i + 1:]
        if i + 1 >= len(argv):
            break
        value = argv[i + 1]
        if arg == "--gateway":
            gateway = value
        elif arg == "--job":
            job = value
        elif arg == "-g":
            name, _, label = value.partition("=")
            groupings[name] = label
        else:
            break
        i += 2
    sys.exit("usage: python_wrapper.py --gateway URL --job JOB [-g K=V]... -- CMD...")


def main():
    gateway, job, groupings, command = parse_args(sys.argv[1:])
    if not gateway or not job or not command:
        sys.exit("usage: python_wrapper.py --gateway URL --job JOB [-g K=V]... -- CMD...")
    registry = CollectorRegistry()

    def gauge(name, documentation):
        return Gauge("pushrun_" + name, documentation, registry=registry)

    directory = tempfile.mkdtemp(prefix="python-wrapper-")
    sidecar = os.path.join(directory, "metrics.prom")
    os.close(os.open(sidecar, os.O_CREAT | os.O_WRONLY, 0o600))

    started = time.time()
    started_mono = time.monotonic()
    try:
        child = subprocess.Popen(command, env=dict(os.environ, PUSHRUN_METRICS_FILE=sidecar))
    except FileNotFoundError:
        return 127
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = 0  # reaped here; keep Popen from waiting again
    elapsed = time.monotonic() - started_mono
    code = os.waitstatus_to_exitcode(status)
    code = code if code >= 0 else 128 - code

    gauge("start_timestamp_seconds", "When the command started.").set(started)
    gauge("end_timestamp_seconds", "When the command ended.").set(time.time())
    gauge("duration_seconds", "How long the command ran.").set(elapsed)
    gauge("exit_code", "The command's exit code.").set(
        os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1)
    gauge("signal", "The signal that killed the command, 0 if none.").set(
        os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0)
    gauge("success", "1 if the command succeeded.").set(1 if code == 0 else 0)
    gauge("cpu_user_seconds", "User CPU time.").set(usage.ru_utime)
    gauge("cpu_system_seconds", "System CPU time.").set(usage.ru_stime)
    gauge("max_rss_bytes", "Peak resident set size.").set(usage.ru_maxrss * 1024)
    gauge("minor_page_faults", "Minor page faults.").set(usage.ru_minflt)
    gauge("major_page_faults", "Major page faults.").set(usage.ru_majflt)
    gauge("block_input_operations", "Block input operations.").set(usage.ru_inblock)
    gauge("block_output_operations", "Block output operations.").set(usage.ru_oublock)
    gauge("voluntary_context_switches", "Voluntary context switches.").set(usage.ru_nvcsw)
    gauge("involuntary_context_switches", "Involuntary context switches.").set(usage.ru_nivcsw)

    valid = 1
    with open(sidecar, encoding="utf-8") as f:
        text = f.read()
    shutil.rmtree(directory, ignore_errors=True)
    if text:
        try:
            registry.register(Families(list(text_string_to_metric_families(text))))
        except Exception as error:  # the client's parser raises plain ValueErrors and others
            print(f"python_wrapper: sidecar refused: {error}", file=sys.stderr)
            valid = 0
    gauge("sidecar_valid", "1 unless the sidecar was refused.").set(valid)

    try:
        pushadd_to_gateway(gateway, job=job, registry=registry, grouping_key=groupings,
                           timeout=10)
    except Exception as error:
        print(f"python_wrapper: push failed: {error}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
