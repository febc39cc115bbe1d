#!/usr/bin/env bash
# Keeps the man page and `pushrun --help` equal: the same options (short and long names and
# their argument placeholders) and the same commands, both ways; the same version; and
# `man -l` renders the page without a single warning.
# Usage: check-man.sh PUSHRUN_BINARY [SOURCE_DIR]
set -euo pipefail

pushrun=${1:?usage: check-man.sh PUSHRUN_BINARY [SOURCE_DIR]}
source_dir=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
page=$source_dir/packaging/man/pushrun.1
command -v man >/dev/null || { echo "check-man: man not found (Debian package man-db)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Renders without warnings (groff's warnings go to stderr).
MANWIDTH=80 man -l --warnings "$page" >/dev/null 2>"$work/warnings"
if [ -s "$work/warnings" ]; then
  echo "check-man: man -l --warnings complains about $page:" >&2
  cat "$work/warnings" >&2
  exit 1
fi

# 2. The same options and commands as --help, and the same version.
MANWIDTH=300 man -l "$page" 2>/dev/null | col -bx >"$work/page.txt"
"$pushrun" --help >"$work/help.txt"
"$pushrun" --version >"$work/version.txt"

python3 - "$work/help.txt" "$work/page.txt" "$work/version.txt" "$page" <<'PY'
import re, sys

help_text, page_text, version, page_source = (open(p).read() for p in sys.argv[1:5])

def parse_tag(tag):
    """'-g,--grouping KEY=VALUE' or '-g, --grouping KEY=VALUE' -> (('-g', '--grouping'), 'KEY=VALUE')."""
    names, rest = [], tag.strip()
    while True:
        m = re.match(r"(-{1,2}[A-Za-z0-9][A-Za-z0-9-]*)(,\s*)?", rest)
        if not m:
            break
        names.append(m.group(1))
        rest = rest[m.end():]
        if not m.group(2):
            break
    return tuple(sorted(names)), rest.strip()

# --help: option lines under the group headings, up to "Subcommands:".
help_options, help_commands, section = {}, set(), None
for line in help_text.splitlines():
    if re.match(r"^\S.*:$", line):
        section = line[:-1]
        continue
    if section is None or not line.startswith("  "):
        continue
    if section == "Subcommands":
        m = re.match(r"^  (\w[\w-]*)(\s{2,}|$)", line)
        if m:
            help_commands.add(m.group(1))
    else:
        m = re.match(r"^  (-\S.*?)(\s{2,}|$)", line)
        if m:
            names, metavar = parse_tag(m.group(1))
            help_options[names] = metavar

# The page's source: the tag line after each .TP in OPTIONS and COMMANDS, turned into plain
# text (font macros and escapes removed). Reading the source, not the rendering, because a short
# tag shares its line with the description there.
def roff_text(line):
    if line.startswith("."):
        macro, _, rest = line[1:].partition(" ")
        args = [quoted or bare for quoted, bare in re.findall(r'"([^"]*)"|(\S+)', rest)]
        # .B and .I join their arguments with spaces; .BI, .BR, .IR, ... alternate fonts and
        # join them with nothing.
        line = " ".join(args) if macro in ("B", "I") else "".join(args)
    line = re.sub(r"\\f[BIRP]", "", line)
    return line.replace("\\-", "-").replace("\\(dq", '"').replace("\\ ", " ")

def tags(section):
    lines = re.search(r"^\.SH %s\n(.*?)(?=^\.SH |\Z)" % section, page_source, re.M | re.S)
    lines = lines.group(1).splitlines() if lines else []
    return [roff_text(lines[i + 1]) for i, l in enumerate(lines[:-1]) if l.startswith(".TP")]

page_options = dict(parse_tag(t) for t in tags("OPTIONS"))
page_commands = {t.split()[0] for t in tags("COMMANDS")}

errors = []
for names, metavar in help_options.items():
    if names not in page_options:
        errors.append(f"{', '.join(names)} is in --help but not in the man page's OPTIONS")
    elif page_options[names] != metavar:
        errors.append(f"{', '.join(names)}: --help says '{metavar}', the man page '{page_options[names]}'")
for names in page_options:
    if names not in help_options:
        errors.append(f"{', '.join(names)} is in the man page but not in --help")
for c in sorted(help_commands - page_commands):
    errors.append(f"command '{c}' is in --help but not in the man page's COMMANDS")
for c in sorted(page_commands - help_commands):
    errors.append(f"command '{c}' is in the man page but not in --help")
if len(help_options) < 10:
    errors.append(f"found only {len(help_options)} options in --help; has its layout changed?")

footer = page_text.strip().splitlines()[-1]
if version.split()[-1] not in footer:
    errors.append(f"the man page says '{footer.split()[0]} {footer.split()[1]}', --version '{version.strip()}'")

for e in errors:
    print(f"check-man: {e}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"ok   {len(help_options)} options and {len(help_commands)} commands match --help; version {version.strip()}")
PY
echo "check-man: ok"
