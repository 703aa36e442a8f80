#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The documentation agrees with the program, and stays inside the repository.

  --help          every command `ignis --help` lists, and every option each
                  `ignis COMMAND --help` prints, appears in man/ignis.8.scd
                  and in the bash completion; every command the man page's
                  SYNOPSIS names exists.
  links           every relative link in the repository's Markdown files
                  resolves to a file or directory inside the repository.
  self-contained  no tracked file refers to a place outside the repository
                  (a parent directory's docs).
TAP output.
"""
import argparse
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))

results = []


def case(ok, name, diag=""):
    results.append((ok, name, diag))


def help_text(ignis, *args):
    p = subprocess.run([ignis, *args, "--help"], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"ignis {' '.join(args)} --help exited {p.returncode}: {p.stderr.strip()}")
    return p.stdout


def commands_of(main_help):
    """The names under 'Commands:' (indented by two spaces)."""
    cmds, inside = [], False
    for line in main_help.splitlines():
        if line.startswith("Commands:"):
            inside = True
            continue
        if inside:
            if not line.strip():
                if cmds:
                    break
                continue
            m = re.match(r"^  ([a-z][a-z-]*)\b", line)
            if m:
                cmds.append(m.group(1))
    return cmds


def options_of(text):
    opts = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", text))
    opts |= set(re.findall(r"(?<![\w-])(-[a-zA-Z])(?=[ ,=]|$)", text, re.M))
    return opts


def check_help(ignis):
    man = open(os.path.join(TOP, "man", "ignis.8.scd")).read()
    comp = open(os.path.join(TOP, "completion", "ignis.bash")).read()
    main_help = help_text(ignis)
    cmds = commands_of(main_help)
    case(len(cmds) >= 3, "ignis --help lists its commands", f"found {cmds}")
    comp_cmds = re.search(r'_ignis_commands="([^"]*)"', comp)
    comp_cmds = comp_cmds.group(1).split() if comp_cmds else []
    for cmd in cmds:
        case(re.search(rf"\*{re.escape(cmd)}\*", man) is not None,
             f"man page describes command {cmd}")
        case(cmd in comp_cmds, f"completion offers command {cmd}")
        if cmd == "version":
            continue
        text = help_text(ignis, cmd)
        m = re.search(rf"^\s+{re.escape(cmd)}\)\s*echo \"([^\"]*)\"", comp, re.M)
        comp_opts = set(o.rstrip("=") for o in m.group(1).split()) if m else set()
        for opt in sorted(options_of(text)):
            case(re.search(rf"\*{re.escape(opt)}(\*|=)", man) is not None,
                 f"man page documents {cmd} {opt}")
            case(opt in comp_opts, f"completion offers {cmd} {opt}")
    for opt in sorted(options_of(main_help)):
        case(re.search(rf"\*{re.escape(opt)}(\*|=)", man) is not None, f"man page documents ignis {opt}")
    # The reverse: the SYNOPSIS names no command the program lacks.
    syn = man.split("# SYNOPSIS", 1)[1].split("\n# ", 1)[0]
    for cmd in re.findall(r"^\*ignis ([a-z][a-z-]*)\*", syn, re.M):
        case(cmd in cmds, f"SYNOPSIS command {cmd} exists in ignis --help")


def tracked_files():
    p = subprocess.run(["git", "-C", TOP, "ls-files", "-z"], capture_output=True)
    if p.returncode != 0:      # not a git checkout (a release tarball): walk the tree
        out = []
        for d, dirs, files in os.walk(TOP):
            dirs[:] = [x for x in dirs if not x.startswith((".", "build"))]
            out += [os.path.relpath(os.path.join(d, f), TOP) for f in files]
        return out
    return [f for f in p.stdout.decode().split("\0") if f]


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def check_links(files):
    for f in files:
        if not f.endswith(".md"):
            continue
        # Test inputs and generated spec docs are data, not documentation.
        if f.startswith(("tests/config/", "tests/files/cases/")):
            continue
        text = open(os.path.join(TOP, f), errors="replace").read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in LINK.findall(text):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            full = os.path.normpath(os.path.join(TOP, os.path.dirname(f), path))
            inside = full == TOP or full.startswith(TOP + os.sep)
            case(inside and os.path.exists(full), f"{f}: link {target} resolves inside the repository",
                 "" if inside else "points outside the repository")


def check_self_contained(files):
    pat = re.compile(r"\.\./shared\b|/work/shared|development environment")
    bad = []
    for f in files:
        full = os.path.join(TOP, f)
        if f.startswith("tests/docs/") or not os.path.isfile(full):
            continue
        try:
            text = open(full, errors="strict").read()
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            if pat.search(line):
                bad.append(f"{f}:{n}: {line.strip()[:100]}")
    case(not bad, "no file refers to documents outside the repository", "\n".join(bad))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ignis", required=True)
    args = ap.parse_args()
    files = tracked_files()
    try:
        check_help(args.ignis)
    except RuntimeError as e:
        case(False, "ignis --help runs", str(e))
    check_links(files)
    check_self_contained(files)
    print("TAP version 13")
    print(f"1..{len(results)}")
    failed = 0
    for i, (ok, name, diag) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            failed += 1
            for line in diag.splitlines():
                print(f"# {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
