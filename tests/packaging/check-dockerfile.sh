#!/usr/bin/env bash
# Checks packaging/Dockerfile without a docker engine (none runs here):
# - its build stage installs dependencies with packaging/install-deps.sh and configures and
#   builds with exactly the cmake lines of the README's "Building by hand";
# - every stage is debian:bookworm-slim, the last one runs as a non-root numeric user with
#   ENTRYPOINT ["/usr/local/bin/pushrun"] in exec form (so pushrun is PID 1);
# - given a built pushrun, every shared library it needs comes from a Debian package that the
#   runtime stage installs (or that debian:bookworm-slim always has); libcurl4, which pushrun
#   loads with dlopen, and ca-certificates are installed too.
# Usage: check-dockerfile.sh [SOURCE_DIR] [PUSHRUN_BINARY]
set -euo pipefail

source_dir=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
binary=${2:-}
dockerfile=$source_dir/packaging/Dockerfile
readme=$source_dir/README.md

python3 - "$dockerfile" "$readme" "$binary" <<'PY'
import json, re, subprocess, sys

dockerfile, readme, binary = sys.argv[1], sys.argv[2], sys.argv[3]
errors = []

# Dockerfile instructions, continuation lines joined, comments dropped.
text = re.sub(r"\\\n", " ", open(dockerfile).read())
instructions = []
for line in text.splitlines():
    line = line.strip()
    if line and not line.startswith("#"):
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), " ".join(rest.split())))
stages = []
for keyword, rest in instructions:
    if keyword == "FROM":
        stages.append({"from": rest, "run": [], "other": []})
    elif stages:
        (stages[-1]["run"] if keyword == "RUN" else stages[-1]["other"]).append((keyword, rest))
if len(stages) < 2:
    errors.append("not a multi-stage build")
for s in stages:
    if not re.match(r"^debian:bookworm-slim( AS \w+)?$", s["from"], re.I):
        errors.append(f"stage FROM {s['from']} is not debian:bookworm-slim")

# The README's build commands: the code block under "## Building by hand".
section = re.search(r"^## Building by hand\s*\n(.*?)(?=^## |\Z)", open(readme).read(), re.M | re.S)
if not section:
    errors.append("README.md has no '## Building by hand' section")
    readme_lines = []
else:
    block = re.search(r"```\w*\n(.*?)```", section.group(1), re.S)
    readme_lines = [" ".join(l.split("#")[0].split()) for l in block.group(1).splitlines()] if block else []
deps = [l for l in readme_lines if "packaging/install-deps.sh" in l]
cmake = [l for l in readme_lines if re.match(r"^cmake (-S|--build)\b", l)]
if not deps or len(cmake) < 2:
    errors.append(f"cannot find install-deps.sh and the cmake configure/build lines in the README: {readme_lines}")

build_runs = [r for _, r in stages[0]["run"]] if stages else []
def runs(command):
    """Whether a RUN of the build stage executes this command (alone or in a && chain)."""
    for run in build_runs:
        if command in [" ".join(part.split()) for part in re.split(r"&&|;", run)]:
            return True
    return False
for line in deps:
    command = re.sub(r"^sudo ", "", line)  # the container builds as root
    if not runs(command):
        errors.append(f"the build stage does not run the README's `{command}`")
for line in cmake:
    if not runs(line):
        errors.append(f"the build stage does not run the README's `{line}`")

# The runtime stage.
if stages:
    final = stages[-1]
    entry = [r for k, r in final["other"] if k == "ENTRYPOINT"]
    try:
        argv = json.loads(entry[-1]) if entry else None
    except json.JSONDecodeError:
        argv = None
    if not argv or argv[0] != "/usr/local/bin/pushrun":
        errors.append('the last stage lacks ENTRYPOINT ["/usr/local/bin/pushrun", ...] in exec form')
    users = [r for k, r in final["other"] if k == "USER"]
    if not users or not re.match(r"^[1-9][0-9]*(:[1-9][0-9]*)?$", users[-1]):
        errors.append("the last stage does not switch to a non-root numeric USER")
    if any("install-deps.sh" in r for _, r in final["run"]):
        errors.append("the runtime stage runs install-deps.sh (build dependencies)")
    copies = [r for k, r in final["other"] if k == "COPY"]
    if not any("--from=" in c and c.endswith("/usr/local/bin/pushrun") for c in copies):
        errors.append("the runtime stage does not copy pushrun from the build stage to /usr/local/bin/pushrun")
    installs = " ".join(r for _, r in final["run"])
    runtime_packages = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", installs.split("install", 1)[1])) if "apt-get install" in installs else set()
    for p in runtime_packages:
        if p.endswith("-dev"):
            errors.append(f"the runtime stage installs a -dev package: {p}")

    # libcurl is loaded with dlopen (invisible to NEEDED below) for https:// and proxies.
    if "libcurl4" not in runtime_packages:
        errors.append("the runtime stage does not install libcurl4 (pushrun loads libcurl.so.4 for https://)")
    if "ca-certificates" not in runtime_packages:
        errors.append("the runtime stage does not install ca-certificates (https:// gateways)")

    # Every library pushrun needs directly must be in the runtime image.
    if binary:
        base = {"libc6", "libgcc-s1"}  # always in debian:bookworm-slim
        needed = re.findall(r"NEEDED\s+(\S+)",
                            subprocess.run(["objdump", "-p", binary], capture_output=True,
                                           text=True, check=True).stdout)
        ldd = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
        paths = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
        for lib in needed:
            path = paths.get(lib)
            if not path:
                continue  # the dynamic loader itself
            owner = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
            if owner.returncode != 0:  # /lib is a symlink to /usr/lib on bookworm
                owner = subprocess.run(["dpkg", "-S", path.replace("/lib/", "/usr/lib/", 1)],
                                       capture_output=True, text=True)
            package = owner.stdout.split(":")[0].strip() if owner.returncode == 0 else None
            if package is None:
                errors.append(f"{lib} ({path}) belongs to no Debian package")
            elif package not in runtime_packages | base:
                errors.append(f"pushrun needs {lib} from {package}, which the runtime stage does not install")
            else:
                print(f"ok   {lib} <- {package}")

for e in errors:
    print(f"check-dockerfile: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"ok   build stage runs: {'; '.join([re.sub(r'^sudo ', '', d) for d in deps] + cmake)}")
print("check-dockerfile: ok")
PY
