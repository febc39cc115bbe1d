#!/usr/bin/env python3
"""Finds the pushrun command line in each example under packaging/examples/ and runs it with
--dry-run through a built pushrun, so the examples cannot drift from the real CLI.

Usage: example_commands.py PUSHRUN_BINARY EXAMPLES_DIR [--list]

The wrapped command itself (after --) is replaced by `true`: it is the user's program and does
not exist here. Each dry run must exit 0 and print the request it would send.

Each example's environment (cron variables, systemd Environment=, Kubernetes env) is passed on;
systemd specifiers and Kubernetes $(VAR) references are expanded; files the examples expect
from a Secret or a systemd credential are created in a temporary directory with a dummy token.
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

import yaml

DUMMY_TOKEN = "example-token-not-a-secret\n"


class Example:
    def __init__(self, name, argv, env):
        self.name, self.argv, self.env = name, argv, env


def from_pushrun(words):
    """The words from the pushrun binary on (drops `exec`, `nice`, ... before it)."""
    for i, word in enumerate(words):
        if os.path.basename(word) == "pushrun":
            return words[i:]
    return None


def make_file(scratch, path):
    """Creates a 0600 dummy token at scratch/path and returns its real path."""
    real = os.path.join(scratch, path.lstrip("/"))
    os.makedirs(os.path.dirname(real), exist_ok=True)
    with open(real, "w") as f:
        f.write(DUMMY_TOKEN)
    os.chmod(real, 0o600)
    return real


def cron_examples(path, scratch):
    env, found = {}, []
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        # cron.d format: five time fields, a user, then the command (a shell line).
        fields = line.split(None, 6)
        if len(fields) < 7:
            raise SystemExit(f"{path}: cannot parse cron line: {line}")
        if "%" in fields[6]:
            raise SystemExit(f"{path}: unescaped % in a cron command (cron turns it into a newline)")
        argv = from_pushrun(shlex.split(fields[6]))
        if argv:
            found.append(Example(f"{os.path.basename(path)}:{fields[5]}", argv, dict(env)))
    for ex in found:
        for key in ("PUSHRUN_BEARER_TOKEN_FILE", "PUSHRUN_PASSWORD_FILE"):
            if key in ex.env:
                ex.env[key] = make_file(scratch, ex.env[key])
    return found


def systemd_examples(path, scratch):
    text = re.sub(r"\\\n", " ", open(path).read())  # join continuation lines
    credentials = os.path.join(scratch, "credentials")
    os.makedirs(credentials, exist_ok=True)

    def specifiers(value):
        return re.sub(r"%(.)", lambda m: {"%": "%", "H": "examplehost", "d": credentials,
                                           "n": os.path.basename(path)}[m.group(1)], value)

    env, execs = {}, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("LoadCredential="):
            name = line.split("=", 1)[1].split(":", 1)[0]
            make_file(credentials, name)
        elif line.startswith("Environment="):
            for assignment in shlex.split(line.split("=", 1)[1]):
                key, value = assignment.split("=", 1)
                env[key] = specifiers(value)
        elif line.startswith("ExecStart="):
            execs.append(specifiers(line.split("=", 1)[1].lstrip("-+!@:")))
    return [Example(os.path.basename(path), from_pushrun(shlex.split(e)), env)
            for e in execs if from_pushrun(shlex.split(e))]


def pod_specs(doc):
    kind = doc.get("kind")
    if kind == "Job":
        yield doc["spec"]["template"]["spec"]
    elif kind == "CronJob":
        yield doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "Pod":
        yield doc["spec"]


def kubernetes_examples(path, scratch):
    found = []
    for doc in yaml.safe_load_all(open(path)):
        if not doc:
            continue
        for pod in pod_specs(doc):
            secret_volumes = {v["name"] for v in pod.get("volumes", []) if "secret" in v}
            for c in pod.get("containers", []):
                mounts = [m["mountPath"] for m in c.get("volumeMounts", [])
                          if m["name"] in secret_volumes]
                env = {}
                for e in c.get("env", []):
                    # Downward API and secret references get a placeholder value.
                    env[e["name"]] = str(e.get("value", f"example-{e['name'].lower()}"))

                def expand(word):
                    word = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                                  lambda m: env.get(m.group(1), m.group(0)), word)
                    for mount in mounts:
                        if word.startswith(mount.rstrip("/") + "/"):
                            return make_file(scratch, word)
                    return word

                env = {k: expand(v) for k, v in env.items()}
                words = [expand(str(w)) for w in c.get("command", []) + c.get("args", [])]
                argv = from_pushrun(words)
                if argv:
                    found.append(Example(f"{os.path.basename(path)}:{doc['kind']}/{c['name']}",
                                         argv, env))
    return found


def collect(examples_dir, scratch):
    found = []
    for name in sorted(os.listdir(examples_dir)):
        path = os.path.join(examples_dir, name)
        if name.endswith(".cron") or name == "crontab":
            found += cron_examples(path, scratch)
        elif name.endswith(".service"):
            found += systemd_examples(path, scratch)
        elif name.endswith((".yaml", ".yml")):
            found += kubernetes_examples(path, scratch)
    return found


def main():
    binary, examples_dir = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as scratch:
        examples = collect(examples_dir, scratch)
        if not examples:
            raise SystemExit(f"no pushrun command found under {examples_dir}")
        if "--list" in sys.argv:
            for ex in examples:
                print(json.dumps({"example": ex.name, "argv": ex.argv, "env": ex.env}))
            return
        failures = 0
        for ex in examples:
            # The wrapped command is the user's (it does not exist here) and --dry-run still
            # runs it; what must not rot is pushrun's part, so the command becomes `true`.
            if "--" not in ex.argv:
                raise SystemExit(f"{ex.name}: no -- before the wrapped command")
            own = ex.argv[1:ex.argv.index("--")]
            # Lock files and spool directories point at system paths; use scratch ones.
            for i, word in enumerate(own[:-1]):
                if word == "--lock":
                    own[i + 1] = os.path.join(scratch, f"lock-{ex.name.replace('/', '_')}")
                elif word == "--spool-dir":
                    own[i + 1] = os.path.join(scratch, "spool")
                    os.makedirs(own[i + 1], exist_ok=True)
            argv = [binary, "--dry-run"] + own + ["--", "true"]
            env = {"PATH": "/usr/bin:/bin", "HOME": scratch, **ex.env}
            result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=20)
            shown = " ".join(shlex.quote(w) for w in ["pushrun", "--dry-run"] + own + ["--", "true"])
            # --dry-run prints "METHOD URL", a blank line and the body for each request.
            request = re.search(r"^(POST|PUT|DELETE) (https?://\S+/metrics/job/\S+)$",
                                result.stdout, re.M)
            if result.returncode != 0 or not request:
                failures += 1
                print(f"FAIL {ex.name}: {shown}\n  exit {result.returncode}\n"
                      f"  stdout: {result.stdout.strip()}\n  stderr: {result.stderr.strip()}")
            elif DUMMY_TOKEN.strip() in result.stdout + result.stderr:
                failures += 1
                print(f"FAIL {ex.name}: the dry run printed the bearer token")
            else:
                print(f"ok   {ex.name}: {shown}\n       -> {request.group(1)} {request.group(2)}")
        if failures:
            raise SystemExit(f"{failures} of {len(examples)} example command lines failed")
        print(f"all {len(examples)} example command lines accepted")


if __name__ == "__main__":
    main()
