#!/usr/bin/env python3
"""Generate the ignis config-spec JSON Schemas and per-version docs.

One model (below) lists every config field together with the spec version
that introduced it (``since``) and, where a rule changed, the version that
dropped it (``until``, exclusive).  For each supported spec version the model
is walked and only what exists in that version is emitted, so the schemas
cannot drift apart.

Usage:
    gen-schemas.py            # (re)write config-spec/*.schema.json and *.md
    gen-schemas.py --check    # exit 1 if any committed file is out of date
    gen-schemas.py --outdir D # write somewhere else

Only the Python standard library is needed.
"""

import argparse
import copy
import json
import os
import sys

# --------------------------------------------------------------------------
# Versions
# --------------------------------------------------------------------------

VERSIONS = [
    "3.0.0",
    "3.1.0",
    "3.2.0",
    "3.3.0",
    "3.4.0",
    "3.5.0",
    "3.6.0",
    "3.7.0-experimental",
]


def vidx(v):
    return VERSIONS.index(v)


def in_range(v, since, until=None):
    """True if version v has something introduced in `since` and (if given)
    removed in `until` (exclusive)."""
    if vidx(v) < vidx(since):
        return False
    if until is not None and vidx(v) >= vidx(until):
        return False
    return True


def file_stem(v):
    return "v" + v.replace(".", "_").replace("-", "_")


# --------------------------------------------------------------------------
# Small pattern helpers
# --------------------------------------------------------------------------

def ci(word):
    """Case-insensitive regex for an ASCII word without using inline flags
    (ECMA-262 regexes, which JSON Schema uses, have no (?i))."""
    out = []
    for ch in word:
        if ch.isalpha():
            out.append("[" + ch.lower() + ch.upper() + "]")
        else:
            out.append("\\" + ch if ch in ".+*?()[]{}|^$\\/" else ch)
    return "".join(out)


# An absolute, already-clean path: "/" or one or more "/segment" where a
# segment is neither "." nor "..", with no empty segments and no trailing "/".
ABS_CLEAN_PATH = r"^(/|(/(?!\.\.?(/|$))[^/]+)+)$"

GUID = r"^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$"

UNIT_SUFFIXES = ["service", "socket", "device", "mount", "automount", "swap",
                 "target", "path", "timer", "snapshot", "slice", "scope"]

RAID_LEVELS_NO_SPARES = ["linear", "raid0", "0", "stripe"]
RAID_LEVELS = RAID_LEVELS_NO_SPARES + ["raid1", "1", "mirror", "raid4", "4",
                                       "raid5", "5", "raid6", "6", "raid10", "10"]

# filesystem format -> (since, max label length or None for "no limit
# enforced", label allowed?)
FS_FORMATS = [
    ("ext4", "3.0.0", 16),
    ("btrfs", "3.0.0", 256),
    ("xfs", "3.0.0", 12),
    ("vfat", "3.0.0", 11),
    ("swap", "3.0.0", 15),
    ("none", "3.3.0", None),
    ("virtiofs", "3.7.0-experimental", 0),
]


def hash_pattern(v):
    if in_range(v, "3.1.0"):
        return "^(sha512-[0-9a-fA-F]{128}|sha256-[0-9a-fA-F]{64})$"
    return "^sha512-[0-9a-fA-F]{128}$"


def http_url_pattern():
    return "^(" + ci("http") + "|" + ci("https") + ")://.+$"


def url_pattern(v):
    """Pattern for a resource `source` in version v ("" = empty contents)."""
    empty_ver = r"(?!.*[?&]versionId=(&|$))"
    net = ["http", "https", "tftp"]
    if in_range(v, "3.2.0"):
        net.append("gs")
    alts = [
        "(" + "|".join(ci(s) for s in net) + ")://.+",
        ci("s3") + "://" + empty_ver + "[^/?#]+.*",
        # data:[type/subtype][;param]*,payload
        ci("data") + ":([^,;/]+/[^,;]+)?(;[^,;]+)*,.*",
    ]
    if in_range(v, "3.4.0"):
        alts.append(
            ci("arn") + ":" + empty_ver + "[^:]+:s3:[^:]*:[^:]*:"
            "(accesspoint/[^/]+/object/.+|(?!accesspoint/)[^/]+/.+)")
    return "^(|" + "|".join(alts) + ")$"


def url_schemes_text(v):
    s = ["http", "https", "tftp", "s3", "data"]
    if in_range(v, "3.2.0"):
        s.append("gs")
    if in_range(v, "3.4.0"):
        s.append("arn")
    return ", ".join("`%s`" % x for x in s)


# --------------------------------------------------------------------------
# Condition helpers for if/then rules.  Ignition treats JSON null like an
# absent key, so "set" always means "present with a non-null, non-empty
# value".
# --------------------------------------------------------------------------

def str_set(name):
    return {"required": [name], "properties": {name: {"type": "string", "minLength": 1}}}


def is_string(name):
    return {"required": [name], "properties": {name: {"type": "string"}}}


def is_true(name):
    return {"required": [name], "properties": {name: {"const": True}}}


def is_false(name):
    return {"required": [name], "properties": {name: {"const": False}}}


def list_set(name):
    return {"required": [name], "properties": {name: {"type": "array", "minItems": 1}}}


def int_set(name):
    return {"required": [name], "properties": {name: {"type": "integer"}}}


def int_nonzero(name):
    return {"required": [name], "properties": {name: {"type": "integer", "not": {"const": 0}}}}


def nested(name, cond):
    return {"required": [name], "properties": {name: dict({"type": "object"}, **cond)}}


def unset(cond):
    return {"not": cond}


# --------------------------------------------------------------------------
# Model classes
# --------------------------------------------------------------------------

class Field:
    def __init__(self, name, kind, since="3.0.0", until=None, required=False,
                 desc="", nullable=None):
        self.name = name
        self.kind = kind
        self.since = since
        self.until = until
        self.required = required
        self.desc = desc
        # required values are never null; optional ones may be null
        self.nullable = (not required) if nullable is None else nullable


class Obj:
    """An object with a fixed set of keys (additionalProperties: false).

    rules: list of (since, until, schema-or-callable(v)) added under allOf.
    ref:   if given, the object is emitted once under $defs/<ref>.
    """

    def __init__(self, fields, rules=(), ref=None, desc=""):
        self.fields = fields
        self.rules = list(rules)
        self.ref = ref
        self.desc = desc


class ListOf:
    def __init__(self, item, unique=False, min_items=0):
        self.item = item
        self.unique = unique
        self.min_items = min_items


class Variant:
    """Pick a kind by version: [(since, kind), ...] in ascending order."""

    def __init__(self, choices):
        self.choices = choices

    def pick(self, v):
        chosen = None
        for since, kind in self.choices:
            if in_range(v, since):
                chosen = kind
        return chosen


def S(**kw):
    d = {"type": "string"}
    d.update(kw)
    return d


def I(**kw):
    d = {"type": "integer"}
    d.update(kw)
    return d


BOOL = {"type": "boolean"}
PATH = {"type": "string", "pattern": ABS_CLEAN_PATH}
STRLIST = ListOf({"type": "string"})
STRSET = ListOf({"type": "string"}, unique=True)


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

def verification(v):
    return Obj([
        Field("hash", {"type": "string", "pattern": hash_pattern(v)},
              desc="<function>-<lowercase hex digest> of the (decompressed) data"),
    ], ref="verification")


HTTP_HEADER = Obj([
    Field("name", S(minLength=1), required=True, desc="header name (non-empty)"),
    Field("value", S(minLength=1),
          desc="header value; null/absent only makes sense when merging (removes the header)"),
], ref="httpHeader")


def resource(role):
    """role: merge | replace | ca | contents.  merge/ca need a source."""
    src_required = role in ("merge", "ca")
    compression_since = "3.0.0" if role == "contents" else "3.1.0"
    names = {"merge": "mergeResource", "replace": "replaceResource",
             "ca": "caResource", "contents": "contentsResource"}
    descs = {
        "merge": "a config fetched and merged on top of this one",
        "replace": "a config fetched and used instead of this one",
        "ca": "a PEM bundle of extra trusted certificate authorities",
        "contents": "contents fetched from a URL",
    }

    def source(v):
        d = {"type": "string", "pattern": url_pattern(v)}
        if src_required:
            d["minLength"] = 1
        return d

    rules = [
        # verification.hash requires a source
        ("3.0.0", None, {
            "if": nested("verification", is_string("hash")),
            "then": is_string("source"),
        }),
        # httpHeaders only for http(s) sources
        ("3.1.0", None, {
            "if": list_set("httpHeaders"),
            "then": {"required": ["source"],
                     "properties": {"source": {"type": "string",
                                               "pattern": http_url_pattern()}}},
        }),
    ]
    return Obj([
        Field("source", source, required=src_required,
              desc="URL; empty string means empty contents" if not src_required else "URL"),
        Field("compression", {"type": "string", "enum": ["", "gzip"]},
              since=compression_since, desc="\"gzip\" or empty; hash covers decompressed data"),
        Field("httpHeaders", ListOf(HTTP_HEADER), since="3.1.0",
              desc="extra request headers (http/https sources only)"),
        Field("verification", verification),
    ], rules=rules, ref=names[role], desc=descs[role])


def owner(kind):
    return Obj([
        Field("id", I(), desc="numeric %s id" % kind),
        Field("name", S(), desc="%s name, looked up in the target system" % kind),
    ], rules=[("3.0.0", None, {"not": {"allOf": [int_set("id"), str_set("name")]}})],
        ref="node" + kind.capitalize())


def node_fields():
    return [
        Field("path", PATH, required=True, desc="absolute, clean path"),
        Field("overwrite", BOOL, desc="replace whatever exists at path"),
        Field("user", owner("user"), desc="owner (id or name, not both)"),
        Field("group", owner("group"), desc="group (id or name, not both)"),
    ]


MODE = I(minimum=0, maximum=4095)

FILE = Obj(node_fields() + [
    Field("contents", resource("contents"), desc="full file contents"),
    Field("append", ListOf(resource("contents")), desc="fragments appended in order"),
    Field("mode", MODE, desc="permission bits as a decimal integer (0644 = 420)"),
], rules=[
    ("3.0.0", None, {"if": is_true("overwrite"),
                     "then": nested("contents", is_string("source"))}),
])

DIRECTORY = Obj(node_fields() + [
    Field("mode", MODE, desc="permission bits as a decimal integer (0755 = 493)"),
])

LINK = Obj(node_fields() + [
    Field("target", S(minLength=1), required=True, desc="link target (non-empty)"),
    Field("hard", BOOL, desc="hard link instead of symlink"),
])


PARTITION = Obj([
    Field("label", S(maxLength=36, pattern="^[^:]*$"),
          desc="GPT partition name, at most 36 characters, no ':'"),
    Field("number", I(), desc="1-based slot; 0 = next free"),
    Field("sizeMiB", I(), desc="size in MiB; 0 = as large as possible"),
    Field("startMiB", I(), desc="start in MiB; 0 = start of largest free block"),
    Field("typeGuid", S(pattern=GUID), desc="GPT type GUID"),
    Field("guid", S(pattern=GUID), desc="unique partition GUID"),
    Field("wipePartitionEntry", BOOL, desc="allow replacing a non-matching entry"),
    Field("shouldExist", BOOL, desc="false = the partition must not exist"),
    Field("resize", BOOL, since="3.2.0", desc="grow/shrink a matching partition in place"),
], rules=[
    ("3.0.0", None, {"anyOf": [is_string("label"), int_nonzero("number")]}),
    ("3.0.0", None, {
        "if": is_false("shouldExist"),
        "then": {"allOf": [unset(is_string("label")),
                           unset(str_set("typeGuid")), unset(str_set("guid")),
                           unset(int_set("startMiB")), unset(int_set("sizeMiB"))]},
    }),
])

DISK = Obj([
    Field("device", PATH, required=True, desc="absolute path of the disk"),
    Field("wipeTable", BOOL, desc="wipe the partition table first"),
    Field("partitions", ListOf(PARTITION)),
])

RAID = Obj([
    Field("name", S(), required=True, desc="md device name (/dev/md/<name>)"),
    Field("level", {"type": "string", "enum": RAID_LEVELS}, required=True),
    Field("devices", ListOf(PATH, unique=True, min_items=1), required=True,
          desc="member devices (absolute paths, at least one)"),
    Field("spares", I(), desc="spare count (not for linear/raid0)"),
    Field("options", STRLIST, desc="extra mdadm --create arguments"),
], rules=[
    ("3.0.0", None, {
        "if": {"required": ["level"],
               "properties": {"level": {"enum": RAID_LEVELS_NO_SPARES}}},
        "then": {"properties": {"spares": {"enum": [0, None]}}},
    }),
])


def fs_formats(v):
    return [f for f, since, _ in FS_FORMATS if in_range(v, since)]


def fs_rules(v):
    rules = []
    # format needed when anything else is set
    rules.append({
        "if": {"anyOf": [str_set("path"), str_set("label"), str_set("uuid"),
                         is_true("wipeFilesystem"), list_set("options")]
               + ([list_set("mountOptions")] if in_range(v, "3.1.0") else [])},
        "then": str_set("format"),
    })
    # label length per format
    for fmt, since, maxlen in FS_FORMATS:
        if not in_range(v, since) or maxlen is None or fmt == "virtiofs":
            continue
        rules.append({
            "if": {"required": ["format"], "properties": {"format": {"const": fmt}}},
            "then": {"properties": {"label": {"maxLength": maxlen}}},
        })
    if "virtiofs" in fs_formats(v):
        rules.append({
            "if": {"required": ["format"], "properties": {"format": {"const": "virtiofs"}}},
            "then": {
                "properties": {"device": {"minLength": 1, "maxLength": 36}},
                "allOf": [unset(str_set("label")), unset(str_set("uuid")),
                          unset(is_true("wipeFilesystem")), unset(list_set("options"))],
            },
            "else": {"properties": {"device": {"pattern": ABS_CLEAN_PATH}}},
        })
    return {"allOf": rules}


def fs_device(v):
    if "virtiofs" in fs_formats(v):
        # the path rule is applied conditionally in fs_rules()
        return S()
    return PATH


FILESYSTEM = Obj([
    Field("device", fs_device, required=True,
          desc="absolute device path (virtiofs: the mount tag)"),
    Field("format", lambda v: {"type": "string", "enum": [""] + fs_formats(v)},
          desc="filesystem type"),
    Field("path", {"type": "string", "pattern": "^$|" + ABS_CLEAN_PATH},
          desc="mount point below the target root while provisioning"),
    Field("wipeFilesystem", BOOL, desc="always recreate the filesystem"),
    Field("label", S(), desc="filesystem label (length limit depends on format)"),
    Field("uuid", S(), desc="filesystem UUID"),
    Field("options", STRLIST, desc="extra mkfs arguments"),
    Field("mountOptions", STRLIST, since="3.1.0", desc="mount -o options while provisioning"),
], rules=[("3.0.0", None, fs_rules)])


TANG = Obj([
    Field("url", S(pattern=http_url_pattern()), required=True, desc="tang server (http/https)"),
    Field("thumbprint", S(minLength=1), required=True, desc="trusted signing key thumbprint"),
    Field("advertisement", S(), since="3.4.0",
          desc="pre-fetched advertisement JSON (offline binding)"),
])


def custom_pin(v):
    if in_range(v, "3.6.0"):
        return S()
    return {"type": "string", "enum": ["tpm2", "tang", "sss"]}


CUSTOM_SET = {"anyOf": [str_set("pin"), str_set("config"), is_true("needsNetwork")]}

CLEVIS_CUSTOM = Obj([
    Field("pin", custom_pin, desc="clevis pin name"),
    Field("config", S(), desc="clevis pin configuration JSON"),
    Field("needsNetwork", BOOL, desc="binding needs the network at boot"),
], rules=[
    ("3.2.0", None, {"if": CUSTOM_SET,
                     "then": {"allOf": [str_set("pin"), str_set("config")]}}),
])

CLEVIS = Obj([
    Field("tang", ListOf(TANG)),
    Field("tpm2", BOOL, desc="bind to the TPM2"),
    Field("threshold", I(), desc="number of pins needed to unlock (default 1)"),
    Field("custom", CLEVIS_CUSTOM, desc="raw clevis pin+config (excludes the other fields)"),
], rules=[
    ("3.2.0", None, {
        "if": nested("custom", CUSTOM_SET),
        "then": {"allOf": [unset(list_set("tang")), unset(is_true("tpm2")),
                           unset(int_nonzero("threshold"))]},
    }),
])

CLEVIS_PRESENT = {"anyOf": [list_set("tang"), is_true("tpm2"), int_nonzero("threshold"),
                            nested("custom", CUSTOM_SET)]}

LUKS = Obj([
    Field("name", S(pattern="^[^/]*$"), required=True, desc="mapper name (/dev/mapper/<name>)"),
    Field("device", S(minLength=1, pattern=ABS_CLEAN_PATH), required=True,
          desc="absolute path of the backing device"),
    Field("keyFile", resource("contents"), desc="key material; random key if unset"),
    Field("label", S(maxLength=47), desc="LUKS2 label"),
    Field("uuid", S(), desc="LUKS UUID"),
    Field("options", STRLIST, desc="extra cryptsetup luksFormat arguments"),
    Field("discard", BOOL, since="3.4.0", desc="persist allow-discards"),
    Field("openOptions", STRSET, since="3.4.0", desc="extra cryptsetup luksOpen arguments"),
    Field("wipeVolume", BOOL, desc="always recreate the volume"),
    Field("clevis", CLEVIS),
    Field("cex", Obj([Field("enabled", BOOL, desc="IBM CEX secure key (s390x)")]),
          since="3.5.0"),
], rules=[
    ("3.5.0", None, {
        "if": nested("cex", is_true("enabled")),
        "then": {"allOf": [unset(nested("clevis", CLEVIS_PRESENT)),
                           unset(nested("keyFile", is_string("source")))]},
    }),
])

DROPIN = Obj([
    Field("name", S(pattern=r"^.*\.conf$"), required=True, desc="drop-in file name, *.conf"),
    Field("contents", S(), desc="drop-in text"),
])

UNIT = Obj([
    Field("name", S(pattern=r"^.*\.(" + "|".join(UNIT_SUFFIXES) + ")$"), required=True,
          desc="unit name with a valid unit type suffix"),
    Field("enabled", BOOL, desc="enable (true) / disable (false) via preset"),
    Field("mask", BOOL, desc="mask (true) / unmask (false)"),
    Field("contents", S(), desc="unit file text"),
    Field("dropins", ListOf(DROPIN)),
])

USER = Obj([
    Field("name", S(), required=True),
    Field("passwordHash", S(), desc="crypt(3) hash"),
    Field("sshAuthorizedKeys", STRSET, desc="SSH public keys"),
    Field("uid", I()),
    Field("gecos", S()),
    Field("homeDir", S()),
    Field("noCreateHome", BOOL),
    Field("primaryGroup", S()),
    Field("groups", STRSET, desc="supplementary groups"),
    Field("noUserGroup", BOOL),
    Field("noLogInit", BOOL),
    Field("shell", S()),
    Field("shouldExist", BOOL, since="3.2.0", desc="false = delete the user"),
    Field("system", BOOL),
])

GROUP = Obj([
    Field("name", S(), required=True),
    Field("gid", I()),
    Field("passwordHash", S()),
    Field("shouldExist", BOOL, since="3.2.0", desc="false = delete the group"),
    Field("system", BOOL),
])

IGNITION = Obj([
    Field("version", lambda v: {"type": "string", "const": v}, required=True,
          desc="spec version of this document"),
    Field("config", Obj([
        Field("merge", ListOf(resource("merge")), desc="configs merged on top, in order"),
        Field("replace", resource("replace"), desc="config used instead of this one"),
    ])),
    Field("timeouts", Obj([
        Field("httpResponseHeaders", I(), desc="seconds to wait for response headers (default 10)"),
        Field("httpTotal", I(), desc="seconds for a whole fetch incl. retries (0 = unlimited)"),
    ])),
    Field("security", Obj([
        Field("tls", Obj([
            Field("certificateAuthorities", ListOf(resource("ca")),
                  desc="extra PEM bundles trusted for https"),
        ])),
    ])),
    Field("proxy", Obj([
        Field("httpProxy", S(pattern=http_url_pattern()), desc="proxy for http (and https)"),
        Field("httpsProxy", S(pattern=http_url_pattern()), desc="proxy for https"),
        Field("noProxy", STRSET, desc="hosts/CIDRs/domains not proxied"),
    ]), since="3.1.0"),
])

CONFIG = Obj([
    Field("ignition", IGNITION, required=True, desc="metadata about the config"),
    Field("storage", Obj([
        Field("disks", ListOf(DISK)),
        Field("raid", ListOf(RAID)),
        Field("filesystems", ListOf(FILESYSTEM)),
        Field("files", ListOf(FILE)),
        Field("directories", ListOf(DIRECTORY)),
        Field("links", ListOf(LINK)),
        Field("luks", ListOf(LUKS), since="3.2.0"),
    ])),
    Field("systemd", Obj([Field("units", ListOf(UNIT))])),
    Field("passwd", Obj([Field("users", ListOf(USER)), Field("groups", ListOf(GROUP))])),
    Field("kernelArguments", Obj([
        Field("shouldExist", STRSET, desc="arguments that must be present"),
        Field("shouldNotExist", STRSET, desc="arguments that must be absent"),
    ]), since="3.3.0"),
])


# --------------------------------------------------------------------------
# Emitter
# --------------------------------------------------------------------------

def make_nullable(schema):
    s = copy.deepcopy(schema)
    if "$ref" in s:
        return {"anyOf": [{"type": "null"}, s]}
    t = s.get("type")
    if isinstance(t, str):
        s["type"] = [t, "null"]
    elif isinstance(t, list) and "null" not in t:
        s["type"] = t + ["null"]
    if "enum" in s and None not in s["enum"]:
        s["enum"] = s["enum"] + [None]
    if "const" in s:
        s["enum"] = [s.pop("const"), None]
    return s


class Emitter:
    def __init__(self, v):
        self.v = v
        self.defs = {}

    def kind(self, k):
        while callable(k) and not isinstance(k, (Obj, ListOf, Variant)):
            k = k(self.v)
        if isinstance(k, Variant):
            return self.kind(k.pick(self.v))
        if isinstance(k, Obj):
            return self.obj(k)
        if isinstance(k, ListOf):
            d = {"type": "array", "items": self.kind(k.item)}
            if k.min_items:
                d["minItems"] = k.min_items
            if k.unique:
                d["uniqueItems"] = True
            return d
        return copy.deepcopy(k)

    def obj(self, o):
        props = {}
        required = []
        for f in o.fields:
            if not in_range(self.v, f.since, f.until):
                continue
            s = self.kind(f.kind)
            if f.nullable:
                s = make_nullable(s)
            if f.desc:
                s = dict({"description": f.desc}, **s)
            props[f.name] = s
            if f.required:
                required.append(f.name)
        d = {"type": "object"}
        if o.desc:
            d["description"] = o.desc
        d["properties"] = props
        if required:
            d["required"] = required
        d["additionalProperties"] = False
        allof = []
        for since, until, rule in o.rules:
            if not in_range(self.v, since, until):
                continue
            r = rule(self.v) if callable(rule) else copy.deepcopy(rule)
            if set(r.keys()) == {"allOf"}:
                allof.extend(r["allOf"])
            else:
                allof.append(r)
        if allof:
            d["allOf"] = allof
        if o.ref:
            if o.ref not in self.defs:
                self.defs[o.ref] = None  # reserve (avoid recursion)
                self.defs[o.ref] = d
            return {"$ref": "#/$defs/" + o.ref}
        return d


def build_schema(v):
    e = Emitter(v)
    root = e.obj(CONFIG)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:ignis:config-spec:" + v,
        "title": "Ignition config, spec %s (as accepted by ignis)" % v,
        "description": ("Generated by config-spec/gen-schemas.py - do not edit. "
                        "Describes a config that ignis accepts without errors or "
                        "unknown-key warnings. JSON null is accepted wherever a "
                        "value is optional."),
    }
    schema.update(root)
    if e.defs:
        schema["$defs"] = dict(sorted(e.defs.items()))
    return schema


# --------------------------------------------------------------------------
# Per-version documentation
# --------------------------------------------------------------------------

ADDED = {
    "3.0.0": [
        "First 3.x spec: `ignition` (version, config merge/replace, timeouts, "
        "TLS certificate authorities), `storage` (disks, raid, filesystems, files, "
        "directories, links), `systemd.units`, `passwd` (users, groups).",
        "Hashes: `sha512-<128 hex>` only.",
        "URL schemes: " + url_schemes_text("3.0.0") + ".",
        "Filesystem formats: ext4, btrfs, xfs, vfat, swap.",
        "`compression` exists only on file `contents`/`append`.",
    ],
    "3.1.0": [
        "`ignition.proxy` (`httpProxy`, `httpsProxy`, `noProxy`).",
        "`httpHeaders` and `compression` on every resource (merge, replace, "
        "certificate authorities, file contents/append).",
        "`sha256-<64 hex>` hashes.",
        "`storage.filesystems[].mountOptions`.",
    ],
    "3.2.0": [
        "`storage.luks` (key file, Clevis tang/tpm2/threshold/custom, wipeVolume).",
        "`partitions[].resize`.",
        "`passwd.users[].shouldExist`, `passwd.groups[].shouldExist`.",
        "`gs://` URLs.",
    ],
    "3.3.0": [
        "`kernelArguments` (`shouldExist`, `shouldNotExist`).",
        "Filesystem format `none`.",
    ],
    "3.4.0": [
        "`arn:` S3 URLs (bucket and access-point forms).",
        "`luks[].discard`, `luks[].openOptions`.",
        "`clevis.tang[].advertisement` (offline Tang binding).",
    ],
    "3.5.0": [
        "`luks[].cex.enabled` (IBM Crypto Express secure keys, s390x).",
    ],
    "3.6.0": [
        "setuid/setgid/sticky bits in `mode` are honoured.",
        "`clevis.custom.pin` may name any pin (before: only tpm2, tang, sss).",
        "No new fields.",
    ],
    "3.7.0-experimental": [
        "Filesystem format `virtiofs` (`device` is the mount tag, at most 36 "
        "characters; `label`, `uuid`, `wipeFilesystem`, `options` not allowed).",
    ],
}

NOTES = {
    "3.0.0": [
        "In 3.0.0 the three resource kinds are still distinct: merge/replace "
        "and certificate authorities have only `source` and `verification`.",
    ],
    "3.1.0": [
        "`httpsProxy` with an `http://` URL is accepted but ignis warns "
        "(plaintext proxy for HTTPS).",
    ],
    "3.2.0": [],
    "3.3.0": [
        "Highest version Debian's `ignition-validate` 2.14 understands; the "
        "examples that use it are cross-checked against it.",
    ],
    "3.4.0": [],
    "3.5.0": [
        "`cex` cannot be combined with any Clevis setting or with a `keyFile` "
        "source. The OS also needs `rd.luks.key=/etc/luks/cex.key` on the "
        "kernel command line.",
    ],
    "3.6.0": [
        "Configs of this version keep special mode bits; configs of older "
        "versions have them masked during translation.",
    ],
    "3.7.0-experimental": [
        "**Experimental**: the spec may still change and ignis warns when it "
        "sees this version. Only the current experimental version is accepted "
        "(older `-experimental` versions are rejected).",
        "Upstream's newest docs for this version also list a `file` URL "
        "scheme; ignis' schema does not accept it (yet).",
    ],
}

COMMON_NOTES = [
    "Unknown keys are not errors in ignis (they are warnings); the schema "
    "rejects them (`additionalProperties: false`) so that a config which "
    "validates is warning-free in that respect.",
    "JSON `null` is accepted for every optional value and means \"unset\".",
    "Integers are decimal (`mode` 0644 is written 420) and must be written "
    "without a fraction (`420.0` is rejected by ignis, JSON Schema cannot tell).",
]


def mode_note(v):
    if in_range(v, "3.6.0"):
        return ("`mode` may be 0..4095 (07777); setuid/setgid/sticky bits are "
                "applied.")
    return ("`mode` may be 0..4095 (07777), but special mode bits "
            "(setuid/setgid/sticky) are masked below 3.6.0: ignis warns and "
            "applies only the 0777 part.")


def type_text(k, v, e):
    while callable(k) and not isinstance(k, (Obj, ListOf, Variant)):
        k = k(v)
    if isinstance(k, Variant):
        return type_text(k.pick(v), v, e)
    if isinstance(k, Obj):
        return "object"
    if isinstance(k, ListOf):
        inner = type_text(k.item, v, e)
        base, _, extra = inner.partition(" ")
        text = "list of %ss" % base + (" " + extra if extra else "")
        if k.unique:
            text += " (unique)"
        if k.min_items:
            text += " (at least %d)" % k.min_items
        return text
    t = k.get("type", "any")
    extra = []
    if "const" in k:
        extra.append("`%s`" % k["const"])
    if "enum" in k:
        extra.append("one of " + ", ".join("`%s`" % x if x != "" else '`""`'
                                           for x in k["enum"]))
    if "minimum" in k and "maximum" in k:
        extra.append("%d..%d" % (k["minimum"], k["maximum"]))
    if "maxLength" in k:
        extra.append("max %d chars" % k["maxLength"])
    if k.get("pattern") == ABS_CLEAN_PATH:
        extra.append("absolute clean path")
    return t + (" (" + "; ".join(extra) + ")" if extra else "")


def tree_lines(o, v, depth, out):
    if isinstance(o, ListOf):
        o = o.item
    while callable(o) and not isinstance(o, (Obj, ListOf, Variant)):
        o = o(v)
    if isinstance(o, ListOf):
        return tree_lines(o.item, v, depth, out)
    if not isinstance(o, Obj):
        return
    for f in o.fields:
        if not in_range(v, f.since, f.until):
            continue
        tag = "" if f.since == "3.0.0" else " *(since %s)*" % f.since
        if f.since == v:
            tag = " **(new)**"
        req = " **required**" if f.required else ""
        desc = (": " + f.desc) if f.desc else ""
        out.append("%s* `%s` %s%s%s%s" % ("  " * depth, f.name,
                                          type_text(f.kind, v, None), req, tag, desc))
        tree_lines(f.kind, v, depth + 1, out)


def build_doc(v):
    stem = file_stem(v)
    lines = ["# Ignition config spec %s in ignis" % v, ""]
    if v.endswith("experimental"):
        lines += ["Status: **experimental**. ignis accepts it with a warning.", ""]
    else:
        lines += ["Status: stable.", ""]
    lines += ["Schema: [`%s.schema.json`](%s.schema.json) (JSON Schema draft "
              "2020-12, generated by `gen-schemas.py`)." % (stem, stem), ""]
    lines += ["## What this version adds", ""]
    lines += ["* " + x for x in ADDED[v]] + [""]
    lines += ["## Notes", ""]
    notes = [mode_note(v), "Hashes: " + (
        "`sha512-<128 hex>` or `sha256-<64 hex>`" if in_range(v, "3.1.0")
        else "`sha512-<128 hex>`") + " (hex digits in either case, as Ignition accepts; ignis warns about upper case on referenced configs).",
        "URL schemes: " + url_schemes_text(v) + " (and the empty string for "
        "empty contents).",
        "Filesystem formats: " + ", ".join("`%s`" % f for f in fs_formats(v)) + "."]
    notes += NOTES[v] + COMMON_NOTES
    lines += ["* " + x for x in notes] + [""]
    lines += ["## Fields", "",
              "Every key ignis accepts in this version (generated from the model).", ""]
    out = []
    tree_lines(CONFIG, v, 0, out)
    lines += out + [""]
    return "\n".join(lines)


def build_readme():
    lines = [
        "# ignis config specifications",
        "",
        "ignis reads Ignition configs (JSON). Every supported spec version has a",
        "JSON Schema and a short document. Everything in this directory,",
        "including this README, is generated by [`gen-schemas.py`](gen-schemas.py)",
        "from one field model, where each field records the version that",
        "introduced it; run `/usr/bin/python3 config-spec/gen-schemas.py` after",
        "changing the model and `--check` to verify the committed files.",
        "",
        "| Version | Schema | Document | Highlights |",
        "| --- | --- | --- | --- |",
    ]
    for v in VERSIONS:
        stem = file_stem(v)
        hl = ADDED[v][0] if v != "3.0.0" else "first 3.x spec"
        lines.append("| %s | [%s.schema.json](%s.schema.json) | [%s.md](%s.md) | %s |"
                     % (v, stem, stem, stem, stem, hl))
    lines += [
        "",
        "## What the schemas check",
        "",
        "* exactly the keys of each version (`additionalProperties: false`),",
        "  their JSON types, `null` for optional values, and required keys;",
        "* `ignition.version` as a constant, so a config is checked against the",
        "  schema of its own version (pick the file from `ignition.version`);",
        "* enums (compression, filesystem formats per version, RAID levels,",
        "  Clevis pins before 3.6.0), hash syntax per version, URL schemes per",
        "  version, absolute clean paths, GUIDs, unit and drop-in suffixes,",
        "  label lengths, `mode` 0..4095, unique string lists;",
        "* the simple cross-field rules: verification needs a source, HTTP",
        "  headers need an http(s) source, `overwrite` needs `contents.source`,",
        "  user/group id xor name, partition number or label, `shouldExist:",
        "  false` partitions carry no geometry, format required with other",
        "  filesystem fields, Clevis custom vs. the rest, CEX vs. Clevis/keyFile,",
        "  virtiofs restrictions, spares vs. linear/raid0.",
        "",
        "## What they cannot check",
        "",
        "* uniqueness of list entries by key (files/directories/links by `path`",
        "  across all three lists, units by `name`, disks by `device`, ...);",
        "* `kernelArguments.shouldExist` and `shouldNotExist` sharing one key space;",
        "* anything involving two different parts of the config: paths below a",
        "  configured link, hard links to configured directories, nodes that",
        "  collide with unit/drop-in files, overlapping partitions, filesystems",
        "  on partitioned disks;",
        "* whether unit contents parse, whether a Tang advertisement is JSON,",
        "  the payload of `data:` URLs, label lengths in bytes rather than",
        "  characters, and integers written with a fraction (`1.0`);",
        "* warnings other than unknown keys (special mode bits below 3.6.0,",
        "  plain-http `httpsProxy`, `enabled` units without `[Install]`, ...).",
        "",
        "Use `tests/schema/check-examples.py` to validate configs against these",
        "schemas (and optionally against `ignis validate`).",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def to_json(value, indent=0):
    """json.dumps(indent=2), but lists of scalars stay on one line."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ["%s  %s: %s" % (pad, json.dumps(k), to_json(v, indent + 1))
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(not isinstance(x, (dict, list)) for x in value):
            return json.dumps(value)
        items = ["%s  %s" % (pad, to_json(x, indent + 1)) for x in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value)


def outputs():
    files = {}
    for v in VERSIONS:
        stem = file_stem(v)
        files[stem + ".schema.json"] = to_json(build_schema(v)) + "\n"
        files[stem + ".md"] = build_doc(v)
    files["README.md"] = build_readme()
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if a generated file differs")
    ap.add_argument("--outdir", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    stale = []
    for name, text in outputs().items():
        path = os.path.join(args.outdir, name)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as fh:
                old = fh.read()
        if old == text:
            continue
        if args.check:
            stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            print("wrote", path)
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
