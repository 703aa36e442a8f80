#!/usr/bin/python3
"""Writes the golden cases that are too big (or too deep) to commit.

    gen-big-cases.py --out DIR

creates DIR/valid/*.json and DIR/invalid/*.json with their .out files, in the
layout run-cases.py reads.  run-cases.py imports this file and calls
generate() into a temporary directory at the start of every run, so these
cases run every time without megabytes in git.  ignition-diff.py does the
same.  Output is deterministic (no randomness, no timestamps).

Expected diagnostics are computed here: positions are found by searching the
generated text for the offending value, so the .out files stay right if the
layout below changes.  The message texts are ignis' own wording and must be
kept in step with the committed cases that show the same rule on small input
(the small-twin cases are generated here too, side by side, so a difference
between the big and the small path of the parser shows up as a failure).
"""

import argparse
import os

MIB = 1024 * 1024
LIMIT = 32 * MIB


# ---------------------------------------------------------------- helpers

def position(text, needle, at=0, nth=1):
    """1-based line and byte column of needle (its at-th byte) in text."""
    off = -1
    for _ in range(nth):
        off = text.index(needle, off + 1)
    off += at
    line = text.count("\n", 0, off) + 1
    col = off - (text.rfind("\n", 0, off) + 1) + 1
    return line, col


def diag(name, text, needle, sev, path, msg, at=0, nth=1):
    line, col = position(text, needle, at, nth)
    if path:
        return "%s.json:%d:%d: %s: %s: %s\n" % (name, line, col, sev, path, msg)
    return "%s.json:%d:%d: %s: %s\n" % (name, line, col, sev, msg)


class Writer:
    def __init__(self, out):
        self.out = out
        for kind in ("valid", "invalid"):
            os.makedirs(os.path.join(out, kind), exist_ok=True)

    def case(self, kind, name, data, expected="", args=None):
        d = os.path.join(self.out, kind)
        if isinstance(data, str):
            data = data.encode("utf-8")
        with open(os.path.join(d, name + ".json"), "wb") as f:
            f.write(data)
        if expected or kind == "invalid":
            with open(os.path.join(d, name + ".out"), "w", encoding="utf-8") as f:
                f.write(expected)
        if args:
            with open(os.path.join(d, name + ".args"), "w") as f:
                f.write(args + "\n")


def file_entry(i, payload_len):
    body = ("%06d" % i) * (payload_len // 6 + 1)
    return '{"path": "/var/lib/big/f%06d", "mode": 420, "contents": {"source": "data:,%s"}}' % (
        i, body[:payload_len])


def big_config(n_files, payload_len, version="3.3.0", override=None):
    """One file per line: files[i] is on line i + 5."""
    override = override or {}
    lines = ['{', '  "ignition": {"version": "%s"},' % version, '  "storage": {', '    "files": [']
    for i in range(n_files):
        e = override.get(i) or file_entry(i, payload_len)
        lines.append("      " + e + ("," if i < n_files - 1 else ""))
    lines += ['    ]', '  }', '}', '']
    return "\n".join(lines)


# ---------------------------------------------------------------- the cases

def deep_cases(w):
    # 10,000 nested arrays under an unknown key: Go's decoder stops at depth
    # 10,000, ignis at 64. Both must reject it without crashing.
    name = "deep-nesting-arrays-10000"
    text = '{\n  "ignition": {"version": "3.3.0"},\n  "extra": %s%s\n}\n' % ("[" * 10000, "]" * 10000)
    w.case("invalid", name, text,
           diag(name, text, "[" * 64, "error", None, "invalid JSON: nesting deeper than 64 levels", at=63))

    name = "deep-nesting-objects-10000"
    text = '{"a": ' * 10000 + "1" + "}" * 10000 + "\n"
    w.case("invalid", name, text,
           diag(name, text, '{"a": ' * 65, "error", None, "invalid JSON: nesting deeper than 64 levels",
                at=6 * 64))

    # The cap itself: the deepest accepted document, and one level more.
    name = "nesting-at-limit"
    text = '{\n  "ignition": {"version": "3.3.0"},\n  "extra": %s%s\n}\n' % ("[" * 63, "]" * 63)
    w.case("valid", name, text,
           diag(name, text, '"extra"', "warning", "$.extra", 'unknown key "extra" in the config is ignored'))

    name = "nesting-over-limit"
    text = '{\n  "ignition": {"version": "3.3.0"},\n  "extra": %s%s\n}\n' % ("[" * 64, "]" * 64)
    w.case("invalid", name, text,
           diag(name, text, "[" * 64, "error", None, "invalid JSON: nesting deeper than 64 levels", at=63))


def value_cases(w):
    # The cap on the number of JSON values (1,048,576): memory follows the
    # values, not the bytes. Four values are the document, the ignition
    # object, its version and the unknown key's array.
    cap = 1 << 20
    for kind, name, zeros in (("valid", "values-at-limit", cap - 4), ("invalid", "values-over-limit", cap - 3)):
        text = '{\n  "ignition": {"version": "3.3.0"},\n  "extra": [%s]\n}\n' % ",".join(["0"] * zeros)
        if kind == "valid":
            out = diag(name, text, '"extra"', "warning", "$.extra", 'unknown key "extra" in the config is ignored')
        else:
            out = diag(name, text, "[" + "0," * (zeros - 1), "error", None,
                       "invalid JSON: more than %d values in the document (no config needs that many)" % cap,
                       at=1 + 2 * (zeros - 1))
        w.case(kind, name, text, out)


def big_cases(w):
    # About 10 MiB, 20,000 files: every array and object above the file
    # entries is larger than what ignis hands to json-c in one piece.
    name = "big-10mib"
    text = big_config(20000, 480)
    assert 9 * MIB < len(text) < 11 * MIB, len(text)
    w.case("valid", name, text)

    # The same, with findings spread over it: positions, JSON paths and
    # messages must be as exact as in a small config.
    name = "big-10mib-errors"
    ov = {
        3: '{"path": "/var/lib/big/dup", "mode": 420}',
        5000: '{"path": "/var/lib/big/f005000", "mode": 420, "bogus": true}',
        7000: '{"path": "/var/lib/big/f007000", "mode": 420, "mode": 384}',
        12345: '{"path": "var/lib/big/relative", "mode": 420}',
        15000: '{"path": "/var/lib/big/dup", "mode": 420}',
        19999: '{"path": "/var/lib/big/f019999", "mode": 99999}',
    }
    text = big_config(20000, 480, override=ov)
    out = ""
    out += diag(name, text, '"bogus"', "warning", "$.storage.files[5000].bogus",
                'unknown key "bogus" in a file is ignored')
    out += diag(name, text, '"mode": 420, "mode"', "warning", "$.storage.files[7000].mode",
                'duplicate key "mode": only its last occurrence is used', at=0)
    out += diag(name, text, '"var/lib/big/relative"', "error", "$.storage.files[12345].path",
                'path must be absolute (start with \'/\'): "var/lib/big/relative"')
    out += diag(name, text, '{"path": "/var/lib/big/dup"', "error", "$.storage.files[15000].path",
                'duplicate entry: "/var/lib/big/dup" is already defined by storage.files[3]', at=9, nth=2)
    out += diag(name, text, '99999', "error", "$.storage.files[19999].mode",
                "mode 99999 is out of range (0 to 07777 octal; note: mode is written in decimal, e.g. 420 for 0644)")
    w.case("invalid", name, text, out)

    # One array element bigger than 64 KiB (walked through the index, not
    # parsed by json-c in one piece) and its small twin: same findings.
    for twin, payload in (("big-element-findings", 70000), ("small-element-findings", 10)):
        entry = ('{"Path": "etc/x", "overwrite": true, "mode": 1, "mode": 420, "bogus": 1, '
                 '"contents": {"source": "data:,%s"}}' % ("y" * payload))
        text = '{\n  "ignition": {"version": "3.3.0"},\n  "storage": {\n    "files": [\n      %s\n    ]\n  }\n}\n' % entry
        out = ""
        out += diag(twin, text, '"Path"', "warning", "$.storage.files[0].Path",
                    'key "Path" matches "path" only when case is ignored; it is applied as "path" '
                    '(as Ignition does), did you mean "path"?')
        out += diag(twin, text, '"etc/x"', "error", "$.storage.files[0].Path",
                    'path must be absolute (start with \'/\'): "etc/x"')
        out += diag(twin, text, '"mode": 1', "warning", "$.storage.files[0].mode",
                    'duplicate key "mode": only its last occurrence is used')
        out += diag(twin, text, '"bogus"', "warning", "$.storage.files[0].bogus",
                    'unknown key "bogus" in a file is ignored')
        w.case("invalid", twin, text, out)

    # Invalid UTF-8 in a key of a container that json-c never sees whole.
    name = "big-invalid-utf8-in-key"
    entry = file_entry(0, 70000)
    text = ('{\n  "ignition": {"version": "3.3.0"},\n  "storage": {\n    "files": [\n      %s\n    ],\n'
            '    "b\xffd": 1\n  }\n}\n' % entry).encode("latin-1")
    line = text.count(b"\n", 0, text.index(b"\xff")) + 1
    col = text.index(b"\xff") - text.rfind(b"\n", 0, text.index(b"\xff"))
    w.case("invalid", name, text,
           "%s.json:%d:%d: error: invalid JSON: invalid UTF-8 (byte 0xff)\n" % (name, line, col))


def size_cases(w):
    # The size limit: exactly 32 MiB is read, one byte more is refused
    # before parsing.
    def sized(total, version):
        head = '{\n  "ignition": {"version": "%s"},\n  "storage": {"files": [{"path": "/var/big", ' \
               '"contents": {"source": "data:,' % version
        tail = '"}}]}\n}\n'
        return head + "x" * (total - len(head) - len(tail)) + tail

    name = "size-exactly-32mib"
    text = sized(LIMIT, "3.4.0")
    assert len(text) == LIMIT
    w.case("valid", name, text)

    name = "size-over-32mib"
    text = sized(LIMIT + 1, "3.3.0")
    w.case("invalid", name, text, "%s.json: error: config is larger than the limit of 32 MiB\n" % name)


def generate(out):
    w = Writer(out)
    deep_cases(w)
    value_cases(w)
    big_cases(w)
    size_cases(w)


def main():
    ap = argparse.ArgumentParser(description="Write the generated golden cases.")
    ap.add_argument("--out", required=True, help="directory to create valid/ and invalid/ in")
    a = ap.parse_args()
    generate(a.out)


if __name__ == "__main__":
    main()
