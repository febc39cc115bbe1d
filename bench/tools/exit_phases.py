#!/usr/bin/python3
# Reads `perf script` output of bench/tools/exit_phases.sh and prints, per phase of a run after
# the command's exit, the median time in ms from the previous mark.
import re
import statistics
import sys
from collections import defaultdict

EVENT = re.compile(r'^\s*(\S+)\s+(\d+)/(-?\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$')
runs = defaultdict(list)  # pushrun's pid -> [(ms, event, tid, trace)]
with open(sys.argv[1]) as f:
    for line in f:
        m = EVENT.match(line)
        if not m:
            continue
        comm, pid, tid, t, event, trace = m.groups()
        pid, tid, t = int(pid), int(tid), float(t) * 1000
        if comm == 'bench_probe' and event == 'signal:signal_generate' and 'comm=pushrun' in trace:
            runs[int(re.search(r' pid=(\d+)', trace).group(1))].append((t, 'command_exit', tid, ''))
        elif comm in ('pushrun', ':-1'):  # ':-1': a task perf no longer names (exiting)
            runs[pid].append((t, event, tid, trace))

PHASES = [
    ('command reaped (RunChild returns)', 'pushrun_phases:run_child_r'),
    ('signal watcher started (CancelOnSignal)', 'pushrun_phases:cos_ctor_r'),
    ('report built, request made, Send entered', 'pushrun_phases:send'),
    ('curl handles ready (curl_multi_add_handle)', 'pushrun_phases:multi_add'),
    ('connect()', 'syscalls:sys_enter_connect'),
    ('request written (sendto)', 'syscalls:sys_enter_sendto'),
    ('answer read (last recvfrom): the gateway', 'syscalls:sys_exit_recvfrom'),
    ('Send returns (curl handles cleaned up)', 'pushrun_phases:send_r'),
    ('delivery returns', 'pushrun_phases:deliver_r'),
    ('private directory removed, main returns', 'pushrun_phases:exiting'),
    ('exit handlers run (to _exit)', 'pushrun_phases:_exit'),
    ('threads ended, address space unmapped, parent signalled', 'signal:signal_generate'),
]
medians = defaultdict(list)
for pid, events in runs.items():
    events.sort()
    start = next((e[0] for e in events if e[1] == 'command_exit'), None)
    if start is None:
        continue
    prev = start
    marks = {}
    for label, name in PHASES:
        if name == 'syscalls:sys_exit_recvfrom':
            send_r = marks.get('pushrun_phases:send_r') or next(
                (e[0] for e in events if e[1] == 'pushrun_phases:send_r' and e[0] >= prev), None)
            found = [e[0] for e in events if e[1] == name and prev <= e[0] <= (send_r or 1e18)]
            t = found[-1] if found else None
        elif name == 'signal:signal_generate':
            t = next((e[0] for e in events if e[1] == name and 'sig=17' in e[3] and
                      'comm=bench_driver' in e[3] and e[0] >= prev), None)
        else:
            t = next((e[0] for e in events if e[1] == name and e[0] >= prev), None)
        if t is None:
            continue
        marks[name] = t
        medians[label].append(t - prev)
        prev = t
    medians['total: command exit to parent signalled'].append(prev - start)
    cleanup = [e[0] for e in events if e[1] == 'pushrun_phases:ossl_cleanup']
    if cleanup and 'pushrun_phases:_exit' in marks:
        medians['  of the exit handlers: OPENSSL_cleanup to _exit'].append(
            marks['pushrun_phases:_exit'] - cleanup[0])
n = len(medians['total: command exit to parent signalled'])
print(f'{n} runs; median ms of each phase, from the end of the previous one')
for label, values in medians.items():
    print(f'{statistics.median(values):7.3f}  {label}')
