/* SPDX-License-Identifier: Apache-2.0 */
/* The validator, rule by rule, on configs built directly as C structs, and
 * the data URL decoder. Node numbers are arbitrary small numbers: the tests
 * check which object (node) and which field (suffix) a finding names. */

#include <errno.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/data-url.h"
#include "ignis/diag.h"
#include "ignis/log.h"
#include "tap.h"
#include "validate-internal.h"

#define NONE IG_NODE_NONE
#define H128 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
             "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct ig_diags D;
static int R;

static void run(const struct ig_config *c)
{
        ig_diags_free(&D);
        R = ig_config_validate(c, &D);
}

static bool has(enum ig_severity sev, uint32_t node, const char *suffix, const char *msg)
{
        for (size_t i = 0; i < D.n; i++) {
                const struct ig_diag *g = &D.v[i];
                if (g->severity == sev && g->node == node && strstr(g->message, msg) &&
                    strcmp(g->suffix ?: "", suffix ?: "") == 0)
                        return true;
        }
        return false;
}

static void dump(void)
{
        for (size_t i = 0; i < D.n; i++)
                printf("#   %s node %u %s: %s\n", D.v[i].severity == IG_SEV_ERROR ? "error" : "warning",
                       D.v[i].node, D.v[i].suffix ?: "", D.v[i].message);
}

#define ERR(node, sfx, msg, ...) check(has(IG_SEV_ERROR, node, sfx, msg), __VA_ARGS__)
#define WARN(node, sfx, msg, ...) check(has(IG_SEV_WARNING, node, sfx, msg), __VA_ARGS__)

static void check(bool cond, const char *desc)
{
        tap_ok(cond, "%s", desc);
        if (!cond)
                dump();
}

static void clean(const char *desc)
{
        check(D.n == 0 && R == 0, desc);
}

static void no_errors(const char *desc)
{
        check(D.n_errors == 0 && R == 0, desc);
}

static struct ig_config mk(enum ig_spec spec)
{
        return (struct ig_config) { .spec = spec };
}

/* ---- data URLs ---- */

static void test_data_url(void)
{
        static const char *const bad[] = {
                "data:", "data:text/plain", "data:;base64,Zm9", "data:;base64,Zg=", "data:;base64,Zg==Zg==",
                "data:;base64,Zm 9v", "data:;base64,====", "data:;base64,Z===", "data:foo/bar,x", "data:x/y,x",
                "data:text,x", "Data:,x", "data:;foo,x", "data:;BASE64,Zm9v", "data:text/plain;base64;x=y,Zm9v",
                "data:,a%zz", "data:,a%2", "data:,a b", "data:,a#b", "data:,a[b", "data:;a=%zz,x", "data:;a=\"x\\qy\",z",
                "data:,\xc3\xa9", "http://x/", "data:;=x,a",
        };
        static const char *const good[] = {
                "data:,", "data:,a", "data:textual/x,x", "data:x-foo/bar,x", "data:text/plain;charset=\"a b\",x",
                "data:text/plain,x;y", "data:text/plain;a=b;base64,", "data:;base64,Zh==", "data:;a=\"\\101\",z",
                "data:application/json;a=b;c=\"d\";base64,YQ==",
        };
        _cleanup_free_ unsigned char *out = NULL;
        _cleanup_free_ char *mt = NULL;
        const char *why = NULL;
        size_t len;
        int r;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                tap_ok(ig_data_url_check(bad[i]) == -EINVAL, "data URL rejected: %s", bad[i]);
        for (size_t i = 0; i < ELEMENTSOF(good); i++)
                tap_ok(ig_data_url_check(good[i]) == 0, "data URL accepted: %s", good[i]);

        r = ig_data_url_decode("data:,Hello%2C%20World%0A", &out, &len, &mt);
        tap_ok(r == 0 && len == 13 && memcmp(out, "Hello, World\n", 13) == 0, "percent-decoding");
        tap_ok(mt && strcmp(mt, "text/plain;charset=US-ASCII") == 0, "default media type");
        free(out), out = NULL, free(mt), mt = NULL;

        r = ig_data_url_decode("data:text/plain;charset=utf-8;base64,SGVsbG8=", &out, &len, &mt);
        tap_ok(r == 0 && len == 5 && memcmp(out, "Hello", 5) == 0, "base64 with one '='");
        tap_ok(mt && strcmp(mt, "text/plain;charset=utf-8") == 0, "media type without ;base64");
        free(out), out = NULL, free(mt), mt = NULL;

        r = ig_data_url_decode("data:;charset=x;base64,AP8=", &out, &len, &mt);
        tap_ok(r == 0 && len == 2 && out[0] == 0 && out[1] == 0xff, "binary base64");
        tap_ok(mt && strcmp(mt, "text/plain;charset=x") == 0, "parameters without type");
        free(out), out = NULL, free(mt), mt = NULL;

        r = ig_data_url_decode("data:;base64,Zg==", &out, &len, NULL);
        tap_ok(r == 0 && len == 1 && out[0] == 'f', "base64 with two '='");
        free(out), out = NULL;

        r = ig_data_url_decode("data:;base64,", &out, &len, NULL);
        tap_ok(r == 0 && len == 0, "empty base64 payload");
        free(out), out = NULL;

        r = ig_data_url_decode("data:text/plain;base64,Zm9", &out, &len, NULL);
        tap_ok(r == -EINVAL && !out, "decode refuses unpadded base64");

        tap_ok(ig_data_url_check_why("data:text/plain", &why) == -EINVAL && why && strstr(why, "comma"),
               "missing comma is explained");
        tap_ok(ig_data_url_check_why("data:;base64,Zm 9v", &why) == -EINVAL && strstr(why, "whitespace"),
               "whitespace in base64 is explained");
}

/* ---- helpers ---- */

static void test_path_clean(void)
{
        static const struct {
                const char *in, *out;
        } t[] = {
                { "/", "/" }, { "/a/", "/a" }, { "/a//b", "/a/b" }, { "/a/./b", "/a/b" }, { "/a/../b", "/b" },
                { "/..", "/" }, { "", "." }, { "a/../..", ".." }, { "/a/b/..", "/a" }, { "./x", "x" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_free_ char *c = v_path_clean(t[i].in);
                tap_ok(strcmp(c, t[i].out) == 0, "path.Clean(\"%s\") = \"%s\"", t[i].in, t[i].out);
        }
}

static void test_unit_parser(void)
{
        static const struct {
                const char *text;
                bool ok, install;
        } t[] = {
                { "[Unit]\nA=b\n[Install]\nWantedBy=x\n", true, true },
                { "[Unit]\nA=b\n[Install]\n", true, false },          /* an empty section has no options */
                { "# c\n; c\n[Unit]\n  A = b \\\n  c\n", true, false },
                { "Foo=bar\n[Unit]\nA=b", true, false },              /* text before a section is skipped */
                { "[Unit\nA=b", false, false },
                { "[Unit] x\n", false, false },
                { "[Unit]\nFoo", false, false },
                { "[Unit]\nA\n=b", false, false },
                { "[ Install ]\nA=b", true, false },
                { "", true, false },
        };
        _cleanup_free_ char *long_line = NULL, *long_ok = NULL, *filler = xcalloc(3001, 1);
        const char *why, *warn;
        bool install;
        size_t n;

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                int r = v_unit_parse(t[i].text, &install, &n, &why, &warn);
                tap_ok((r == 0) == t[i].ok && (!t[i].ok || install == t[i].install), "unit syntax %zu", i);
        }
        tap_ok(v_unit_parse("Foo=bar\n[Unit]\nA=b", &install, &n, &why, &warn) == 0 && warn, "text before a section warns");

        for (size_t i = 0; i < 3000; i += 4)
                memcpy(filler + i, "A=b\n", 4);

        /* a 3000-byte line in a small file is seen and refused */
        long_line = xasprintf("[Unit]\nExecStart=%03000d\n", 0);
        tap_ok(v_unit_parse(long_line, &install, &n, &why, &warn) == -EINVAL && strstr(why, "too long"), "long line refused");
        /* ... but one that starts late in the read buffer is not noticed, as in Ignition */
        long_ok = xasprintf("[Unit]\n%sExecStart=%02100d\n", filler, 0);
        tap_ok(v_unit_parse(long_ok, &install, &n, &why, &warn) == 0, "long line past the buffer check accepted");
}

/* ---- ignition section and resources ---- */

static void test_resources(void)
{
        struct ig_config c = mk(IG_SPEC_3_3_0);
        struct ig_file f[12] = {};
        char *paths[12] = { "/a", "/b", "/c", "/d", "/e", "/f", "/g", "/h", "/i", "/j", "/k", "/l" };

        for (int i = 0; i < 12; i++)
                f[i] = (struct ig_file) { .node = 10 + i, .path = paths[i], .contents.node = 30 + i,
                                          .contents.verification.node = 50 + i,
                                          .user.node = NONE, .group.node = NONE };
        f[0].contents.source = "file:///x";
        f[1].contents.source = "etc/x";
        f[2].contents.source = "gs://b/o";
        f[3].contents.source = "s3://b/k?versionId=";
        f[4].contents.source = "http://x/%zz";
        f[5].contents.source = "data:;base64,Zm9";
        f[6].contents.source = "s3://b/k";
        f[6].contents.compression = "gzip";
        f[7].contents.source = "data:,x";
        f[7].contents.compression = "xz";
        f[8].contents.source = "";
        f[9].contents.source = "http://a{b/";
        f[10].contents.source = "tftp:foo";
        f[11].contents.source = "arn:aws:s3:::b/k";
        c.storage.files.v = f;
        c.storage.files.n = 12;
        run(&c);
        ERR(30, "source", "invalid URL scheme \"file\"", "file:// is not a scheme Ignition knows");
        ERR(31, "source", "no scheme", "relative URL has no scheme");
        tap_ok(!has(IG_SEV_ERROR, 32, "source", ""), "gs:// is fine in 3.3");
        ERR(33, "source", "versionId", "empty s3 versionId");
        ERR(34, "source", "two hex digits", "bad percent escape in path");
        ERR(35, "source", "invalid data URL", "bad data URL");
        ERR(36, "compression", "cannot be used with s3", "compression with s3 (ignis error)");
        ERR(37, "compression", "invalid compression \"xz\"", "unknown compression");
        tap_ok(!has(IG_SEV_ERROR, 38, "source", ""), "empty source means empty contents");
        ERR(39, "source", "invalid character in host name", "bad host character");
        WARN(40, "source", "libcurl cannot parse it", "curl-unfetchable URL is a warning");
        ERR(41, "source", "need spec 3.4.0", "arn: before 3.4.0");
        tap_ok(R == -EINVAL, "errors make validation fail");

        c.spec = IG_SPEC_3_1_0;
        run(&c);
        ERR(32, "source", "need spec 3.2.0", "gs:// before 3.2.0");

        /* ARNs, 3.4+ */
        c = mk(IG_SPEC_3_4_0);
        f[0].contents.source = "arn:aws:s3:::bucket/key?versionId=1";
        f[1].contents.source = "arn:aws:iam:::b/k";
        f[2].contents.source = "arn:aws:s3:::bucket";
        f[3].contents.source = "arn:aws:s3:us-east-1:1:accesspoint/x";
        f[4].contents.source = "arn:aws:s3:::b/k?versionId=";
        f[5].contents.source = "arn:aws:s3";
        f[6].contents.source = "arn:aws:s3:us-east-1:1:accesspoint/a/object/k";
        f[7].contents.source = "arn:aws:s3:us-east-1:1:accesspoint/test/object";
        f[7].contents.compression = NULL;
        c.storage.files.v = f;
        c.storage.files.n = 8;
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 30, "source", ""), "bucket ARN with versionId");
        ERR(31, "source", "service must be \"s3\"", "non-s3 ARN");
        ERR(32, "source", "<bucket>/<key>", "bucket ARN without key");
        ERR(33, "source", "accesspoint/<name>/object/<key>", "short access point ARN");
        ERR(34, "source", "versionId", "empty ARN versionId");
        ERR(35, "source", "invalid S3 ARN", "too few ARN fields");
        tap_ok(!has(IG_SEV_ERROR, 36, "source", "") && !has(IG_SEV_WARNING, 36, "source", ""), "access point ARN");
        WARN(37, "source", "will not be fetchable", "access point ARN without key passes with a warning");
        ERR(36, "compression", "cannot be used with arn", "compression with arn (ignis error)");
}

static void test_hashes(void)
{
        struct ig_config c = mk(IG_SPEC_3_0_0);
        struct ig_file f[7] = {};
        char nonhex[8 + 128];
        char *paths[7] = { "/f0", "/f1", "/f2", "/f3", "/f4", "/f5", "/f6" };
        char *hashes[7] = { "sha512-" H128, "sha256-" H64, "md5-abc", "sha512-abc", "sha512", "sha512-" H128, nonhex };

        /* the right length, but not hex: Ignition only counts */
        snprintf(nonhex, sizeof(nonhex), "sha512-zz%.126s", H128);
        for (int i = 0; i < 7; i++)
                f[i] = (struct ig_file) { .node = 10 + i, .path = paths[i], .contents.node = 30 + i,
                                          .contents.source = "data:,x", .contents.verification.node = 50 + i,
                                          .contents.verification.hash = hashes[i],
                                          .user.node = NONE, .group.node = NONE };
        f[5].contents.source = NULL;
        c.storage.files.v = f;
        c.storage.files.n = 7;
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 50, "hash", ""), "sha512 is fine in 3.0");
        ERR(51, "hash", "sha256 hashes need spec 3.1.0", "sha256 in 3.0");
        ERR(52, "hash", "unrecognized hash function \"md5\"", "md5");
        ERR(53, "hash", "128 hex digits", "short sha512 digest");
        ERR(54, "hash", "malformed hash", "hash without function");
        ERR(55, "hash", "needs a source", "file verification without source in 3.0");
        WARN(56, "hash", "not hexadecimal", "non-hex digest is a warning");

        c.spec = IG_SPEC_3_1_0;
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 51, "hash", ""), "sha256 is fine in 3.1");
}

static void test_ignition_section(void)
{
        struct ig_config c = mk(IG_SPEC_3_0_0);
        struct ig_resource merge[3] = {
                { .node = 20, .verification.node = NONE },
                { .node = 21, .source = "data:,a", .verification.node = 41, .verification.hash = "sha512-" H128 },
                { .node = 22, .source = "data:,a", .verification.node = NONE },
        };
        struct ig_resource cas[1] = { { .node = 25, .verification.node = NONE } };
        struct ig_http_header hdr[3] = {
                { .node = 60, .name = "a", .value = "b" }, { .node = 61, .name = "a", .value = "" }, { .node = 62, .name = "" },
        };
        char *no_proxy[] = { "x", "x" };
        char upper[8 + 128];

        c.ignition.node = 1;
        c.ignition.config.node = 2;
        c.ignition.config.merge.v = merge;
        c.ignition.config.merge.n = 3;
        c.ignition.config.replace = (struct ig_resource) { .node = 23, .verification.node = 24, .verification.hash = "sha512-" H128 };
        c.ignition.security.node = 3;
        c.ignition.security.tls.node = 4;
        c.ignition.security.tls.certificate_authorities.v = cas;
        c.ignition.security.tls.certificate_authorities.n = 1;
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 20, "source", ""), "3.0: merge entries may lack a source");
        tap_ok(!has(IG_SEV_ERROR, 24, "hash", "needs a source"), "3.0: replace verification without source");
        ERR(25, "source", "source is required", "3.0: CA needs a source");
        ERR(22, "", "duplicate entry: source \"data:,a\"", "merge entries are keyed by source");

        c.spec = IG_SPEC_3_1_0;
        merge[2].source = "data:,b";
        snprintf(upper, sizeof(upper), "sha512-%s", H128);
        for (char *p = upper + 7; *p; p++)
                if (*p >= 'a' && *p <= 'f')
                        *p -= 32;
        merge[1].verification.hash = upper;
        c.ignition.config.replace.source = "data:,r";
        c.ignition.timeouts = (struct ig_timeouts) { .node = 5, .http_total = { true, -1 },
                                                    .http_response_headers = { true, -5 } };
        c.ignition.proxy = (struct ig_proxy) { .node = 6, .http_proxy = "ftp://p", .https_proxy = "http://p",
                                               .no_proxy = { no_proxy, 2 } };
        merge[2].http_headers.v = hdr;
        merge[2].http_headers.n = 3;
        run(&c);
        ERR(20, "source", "source is required", "3.1: merge needs a source");
        WARN(41, "hash", "upper-case digest", "upper-case digest of a referenced config");
        WARN(23, "source", "both replace and merge", "replace and merge together");
        WARN(5, "httpTotal", "negative timeout", "negative httpTotal");
        WARN(5, "httpResponseHeaders", "negative timeout", "negative httpResponseHeaders");
        ERR(6, "httpProxy", "must be http or https", "ftp proxy");
        WARN(6, "httpsProxy", "plain-text http proxy", "http proxy for https");
        ERR(6, "noProxy[1]", "duplicate", "noProxy duplicates");
        ERR(22, "httpHeaders", "only be used with http or https", "headers on a data URL");
        ERR(61, "value", "must not be empty", "empty header value");
        ERR(62, "name", "must not be empty", "empty header name");
        ERR(61, "", "duplicate header \"a\"", "duplicate header");

        merge[2].source = NULL;
        run(&c);
        ERR(22, "httpHeaders", "need an http or https source", "headers without source");
}

/* ---- files, directories, links ---- */

static void test_nodes(void)
{
        struct ig_config c = mk(IG_SPEC_3_3_0);
        struct ig_file f[9] = {};
        struct ig_directory d[3] = {};
        struct ig_link l[4] = {};
        struct ig_unit u[1] = {};
        struct ig_dropin dr[1] = {};
        const char *fpaths[9] = { "etc/motd", "/a//b/", "", "/", "/x", "/ln/inside", "/m", "/etc/systemd/system/u.service",
                                  "/m/under" };

        for (int i = 0; i < 9; i++)
                f[i] = (struct ig_file) { .node = 10 + i, .path = (char *) fpaths[i], .contents.node = NONE,
                                          .contents.verification.node = NONE, .user.node = NONE, .group.node = NONE };
        f[4].mode = (struct ig_int) { true, 99999 };
        f[5].mode = (struct ig_int) { true, 02755 };
        f[6].overwrite = (struct ig_bool) { true, true };
        f[6].user = (struct ig_node_owner) { .node = 40, .id = { true, 1 }, .name = "core" };
        d[0] = (struct ig_directory) { .node = 20, .path = "/x", .user.node = NONE, .group.node = NONE };
        d[1] = (struct ig_directory) { .node = 21, .path = "/ln/dir", .user.node = NONE, .group.node = NONE };
        d[2] = (struct ig_directory) { .node = 22, .path = "/d", .mode = { true, 01777 }, .user.node = NONE, .group.node = NONE };
        l[0] = (struct ig_link) { .node = 30, .path = "/ln", .target = "/t", .user.node = NONE, .group.node = NONE };
        l[1] = (struct ig_link) { .node = 31, .path = "/ln/l2", .target = "/t", .user.node = NONE, .group.node = NONE };
        l[2] = (struct ig_link) { .node = 32, .path = "/h", .target = "/d", .hard = { true, true },
                                  .user = { .node = 41, .id = { true, 0 } }, .group.node = NONE };
        l[3] = (struct ig_link) { .node = 33, .path = "/nt", .user.node = NONE, .group.node = NONE };
        dr[0] = (struct ig_dropin) { .node = 51, .name = "10.conf", .contents = "[Unit]\nA=b\n" };
        u[0] = (struct ig_unit) { .node = 50, .name = "u.service", .contents = "[Unit]\nA=b\n", .dropins = { dr, 1 } };
        c.storage.files.v = f;
        c.storage.files.n = 9;
        c.storage.directories.v = d;
        c.storage.directories.n = 3;
        c.storage.links.v = l;
        c.storage.links.n = 4;
        c.systemd.units.v = u;
        c.systemd.units.n = 1;
        run(&c);
        ERR(10, "path", "must be absolute", "relative path");
        ERR(11, "path", "use \"/a/b\"", "dirty path with its clean form");
        ERR(12, "path", "absolute path is required", "empty path");
        tap_ok(!has(IG_SEV_ERROR, 13, "path", ""), "\"/\" is a clean path");
        WARN(13, "path", "cannot replace the root directory", "... but no place for a file");
        ERR(14, "mode", "out of range", "mode out of range");
        WARN(15, "mode", "setuid/setgid/sticky", "special bits before 3.6 warn");
        WARN(22, "mode", "setuid/setgid/sticky", "special bits on a directory warn");
        ERR(16, "overwrite", "no source", "overwrite without source");
        ERR(40, "", "both id and name", "user with id and name");
        ERR(14, "path", "already defined by storage.directories[0]", "files and directories share paths");
        ERR(15, "path", "below the link storage.links[0]", "file below a link");
        ERR(21, "path", "below the link storage.links[0]", "directory below a link");
        ERR(31, "path", "below the link storage.links[0]", "link below a link");
        ERR(32, "target", "is a directory", "hard link to a directory");
        WARN(41, "", "ignored for hard links", "owner of a hard link");
        ERR(33, "target", "target is required", "link without target (3.3)");
        ERR(17, "path", "conflicts with the unit \"u.service\"", "file where a unit is written");
        WARN(18, "path", "which is a file", "node below a configured file");

        /* a drop-in path, and units without contents do not conflict */
        f[7].path = "/etc/systemd/system/u.service.d/10.conf";
        u[0].contents = NULL;
        run(&c);
        ERR(17, "path", "conflicts with the drop-in \"10.conf\"", "file where a drop-in is written");
        dr[0].contents = "";
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 17, "path", ""), "empty drop-in contents do not conflict");

        c.spec = IG_SPEC_3_0_0;
        run(&c);
        WARN(33, "target", "no target", "link without target only warns before 3.3");
        c.spec = IG_SPEC_3_6_0;
        run(&c);
        tap_ok(!has(IG_SEV_WARNING, 15, "mode", ""), "special bits are fine in 3.6");

        /* a relative hard link target is joined to the link's own path */
        c = mk(IG_SPEC_3_3_0);
        l[0] = (struct ig_link) { .node = 30, .path = "/l", .target = "d", .hard = { true, true }, .user.node = NONE, .group.node = NONE };
        d[0].path = "/l/d";
        c.storage.links.v = l;
        c.storage.links.n = 1;
        c.storage.directories.v = d;
        c.storage.directories.n = 1;
        run(&c);
        ERR(30, "target", "is a directory", "relative hard link target, joined as Ignition does");
        ERR(20, "path", "below the link", "and the directory is below the link");
}

/* ---- disks, RAID, filesystems, LUKS ---- */

static void test_disks(void)
{
        struct ig_config c = mk(IG_SPEC_3_3_0);
        struct ig_partition p[9] = {
                { .node = 20, .number = { true, 1 }, .start_mib = { true, 10 }, .size_mib = { true, 10 } },
                { .node = 21, .number = { true, 2 }, .start_mib = { true, 15 }, .size_mib = { true, 10 } },
                { .node = 22, .number = { true, 2 } },
                { .node = 23, .label = "data" },
                { .node = 24, .label = "data", .number = { true, 5 } },
                { .node = 25 },
                { .node = 26, .label = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
                { .node = 27, .label = "a:b", .number = { true, 6 }, .guid = "xyz", .type_guid = "0FC63DAF-8483-4772-8E79-3D69D8477DE4" },
                { .node = 28, .number = { true, 7 }, .should_exist = { true, false }, .label = "x" },
        };
        struct ig_disk disks[3] = {
                { .node = 10, .device = "/dev/vda", .partitions = { p, 9 } },
                { .node = 11, .device = "" },
                { .node = 12, .device = "/dev/vda" },
        };

        c.storage.disks.v = disks;
        c.storage.disks.n = 3;
        run(&c);
        ERR(21, "", "overlaps partitions[0]", "overlapping partitions");
        ERR(22, "number", "already used by partitions[1]", "colliding numbers");
        ERR(24, "label", "already used by partitions[3]", "duplicate labels");
        ERR(25, "", "needs a number", "neither number nor label");
        ERR(26, "label", "at most 36", "label too long");
        ERR(27, "label", "must not contain ':'", "colon in label");
        ERR(27, "guid", "invalid GUID", "bad GUID");
        tap_ok(!has(IG_SEV_ERROR, 27, "typeGuid", ""), "good type GUID");
        ERR(28, "shouldExist", "must not be set", "shouldExist false with a label");
        WARN(10, "partitions", "before 2.27", "shouldExist false next to number-0 partitions");
        ERR(11, "device", "device is required", "empty disk device");
        ERR(12, "device", "duplicate disk", "duplicate disks");
}

static void test_raid(void)
{
        struct ig_config c = mk(IG_SPEC_3_3_0);
        char *devs[] = { "/dev/a", "dev/b", "/dev/a" };
        struct ig_raid r[5] = {
                { .node = 10, .name = "", .level = "raid1", .devices = { devs, 1 } },
                { .node = 11, .name = "b", .devices = { devs, 1 } },
                { .node = 12, .name = "c", .level = "raid7", .devices = { devs, 1 } },
                { .node = 13, .name = "d", .level = "raid0", .spares = { true, 1 } },
                { .node = 14, .name = "d", .level = "mirror", .devices = { devs, 3 } },
        };

        c.storage.raid.v = r;
        c.storage.raid.n = 5;
        run(&c);
        WARN(10, "name", "empty array name", "empty RAID name warns");
        ERR(11, "level", "level is required", "missing level");
        ERR(12, "level", "unrecognized RAID level", "unknown level");
        ERR(13, "level", "spares", "spares on raid0");
        ERR(13, "devices", "at least one device", "no devices");
        ERR(14, "devices[1]", "must be absolute", "relative member device");
        ERR(14, "devices[2]", "duplicate", "duplicate member device");
        ERR(14, "name", "duplicate array", "duplicate arrays");
        tap_ok(!has(IG_SEV_ERROR, 10, "", "") && !has(IG_SEV_ERROR, 10, "level", ""), "a valid array");
}

static void test_filesystems(void)
{
        struct ig_config c = mk(IG_SPEC_3_2_0);
        char *opts[] = { "-x" };
        struct ig_partition part = { .node = 90, .number = { true, 1 } };
        struct ig_disk disks[2] = {
                { .node = 80, .device = "/dev/p", .partitions = { &part, 1 } },
                { .node = 81, .device = "/dev/w", .wipe_table = { true, true } },
        };
        struct ig_filesystem f[12] = {
                { .node = 10, .device = "/dev/a", .format = "none" },
                { .node = 11, .device = "/dev/b", .format = "zfs" },
                { .node = 12, .device = "/dev/c", .format = "ext4", .label = "aaaaaaaaaaaaaaaaa" },
                { .node = 13, .device = "/dev/d", .format = "xfs", .label = "aaaaaaaaaaaaa" },
                { .node = 14, .device = "/dev/e", .format = "vfat", .label = "aaaaaaaaaaaa" },
                { .node = 15, .device = "/dev/f", .format = "swap", .label = "aaaaaaaaaaaaaaaa" },
                { .node = 16, .device = "/dev/g", .label = "x", .path = "/mnt" },
                { .node = 17, .device = "dev/h", .format = "ext4", .path = "/", .options = { opts, 1 } },
                { .node = 18, .device = "/dev/p", .format = "ext4" },
                { .node = 19, .device = "/dev/w", .format = "ext4" },
                { .node = 20, .device = "/dev/w", .format = "btrfs", .wipe_filesystem = { true, true } },
                { .node = 21, .device = "/dev/i", .format = "ext4", .path = "/x/" },
        };

        c.storage.disks.v = disks;
        c.storage.disks.n = 2;
        c.storage.filesystems.v = f;
        c.storage.filesystems.n = 12;
        run(&c);
        ERR(10, "format", "invalid filesystem format \"none\"", "format none before 3.3");
        ERR(11, "format", "invalid filesystem format \"zfs\"", "unknown format");
        ERR(12, "label", "ext4 labels can be at most 16", "ext4 label limit");
        ERR(13, "label", "xfs labels can be at most 12", "xfs label limit");
        ERR(14, "label", "vfat labels can be at most 11", "vfat label limit");
        ERR(15, "label", "swap labels can be at most 15", "swap label limit");
        ERR(16, "format", "format is required", "path and label need a format");
        ERR(16, "label", "needs a format", "label needs a format");
        ERR(17, "device", "must be absolute", "relative filesystem device");
        tap_ok(!has(IG_SEV_ERROR, 17, "path", ""), "filesystem path \"/\" is fine");
        WARN(18, "device", "would overwrite the partition table", "filesystem on a partitioned disk");
        WARN(19, "device", "wipes this device's table", "implicit wipe by wipeTable");
        ERR(20, "device", "duplicate filesystem", "duplicate filesystem device");
        ERR(21, "path", "use \"/x\"", "dirty mount path");

        c.spec = IG_SPEC_3_3_0;
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 10, "format", ""), "format none in 3.3");

        /* virtiofs: only in 3.7.0-experimental */
        struct ig_filesystem vf[3] = {
                { .node = 30, .device = "share", .format = "virtiofs", .path = "/srv" },
                { .node = 31, .device = "", .format = "virtiofs" },
                { .node = 32, .device = "0123456789012345678901234567890123456", .format = "virtiofs",
                  .label = "l", .uuid = "u", .wipe_filesystem = { true, true }, .options = { opts, 1 } },
        };
        c = mk(IG_SPEC_3_7_0_EXP);
        c.storage.filesystems.v = vf;
        c.storage.filesystems.n = 3;
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 30, "device", "") && !has(IG_SEV_ERROR, 30, "format", ""), "virtiofs tag in 3.7");
        ERR(31, "device", "mount tag", "empty virtiofs tag");
        ERR(32, "device", "at most 36", "long virtiofs tag");
        ERR(32, "label", "cannot have a label", "virtiofs label");
        ERR(32, "uuid", "no UUID", "virtiofs uuid");
        ERR(32, "wipeFilesystem", "cannot be wiped", "virtiofs wipe");
        ERR(32, "options", "no mkfs options", "virtiofs options");
        c.spec = IG_SPEC_3_6_0;
        run(&c);
        ERR(30, "format", "invalid filesystem format \"virtiofs\"", "virtiofs before 3.7");
}

static void test_luks(void)
{
        struct ig_config c = mk(IG_SPEC_3_3_0);
        char *open_opts[] = { "--x", "--x" };
        struct ig_tang tang[4] = {
                { .node = 60, .url = "http://t", .thumbprint = "x", .advertisement = "{\"a\": [1, 2.5e3, null, \"\\u00e9\"]}" },
                { .node = 61, .url = "ftp://t", .advertisement = "{nope" },
                { .node = 62, .url = "http://t", .thumbprint = "", .advertisement = "NaN" },
                { .node = 63, .url = "", .thumbprint = "x" },
        };
        struct ig_luks l[6] = {
                { .node = 10, .name = "a/b", .device = "/dev/a", .label = "012345678901234567890123456789012345678901234567",
                  .key_file = { .node = 30, .source = "foo://x", .verification.node = NONE },
                  .clevis = { .node = 40, .tpm2 = { true, true }, .custom = { .node = 50, .pin = "tpm2", .config = "{}" } },
                  .open_options = { open_opts, 2 } },
                { .node = 11, .name = "b", .key_file.node = NONE,
                  .clevis = { .node = 41, .custom = { .node = 51, .pin = "foo" } } },
                { .node = 12, .name = "c", .device = "/dev/c", .key_file.node = NONE,
                  .clevis = { .node = 42, .tang = { tang, 4 }, .custom = { .node = 52, .needs_network = { true, true } } } },
                { .node = 13, .name = "d", .device = "/dev/d", .key_file = { .node = 33, .source = "data:,k", .verification.node = NONE },
                  .clevis = { .node = NONE, .custom.node = NONE }, .cex = { .node = 70, .enabled = { true, true } } },
                { .node = 14, .name = "e", .device = "/dev/e", .key_file.node = NONE,
                  .clevis = { .node = 44, .tpm2 = { true, true }, .custom.node = NONE }, .cex = { .node = 71, .enabled = { true, true } } },
                { .node = 15, .name = "e", .device = "/dev/f", .key_file.node = NONE,
                  .clevis = { .node = 45, .tpm2 = { true, true }, .custom = { .node = 55, .config = "{}" } } },
        };

        c.storage.luks.v = l;
        c.storage.luks.n = 6;
        run(&c);
        ERR(10, "name", "must not contain '/'", "LUKS name with a slash");
        ERR(10, "label", "at most 47", "LUKS label too long");
        ERR(30, "source", "invalid URL scheme \"foo\"", "bad key file URL");
        ERR(40, "", "cannot be combined with tang, tpm2", "custom pin with tpm2");
        ERR(10, "openOptions[1]", "duplicate", "duplicate open options");
        ERR(11, "device", "device is required", "LUKS without device");
        ERR(51, "pin", "unsupported clevis pin \"foo\"", "unknown pin before 3.6");
        ERR(51, "config", "config is required", "custom pin without config");
        ERR(52, "pin", "pin is required", "needsNetwork alone needs a pin (3.3)");
        tap_ok(!has(IG_SEV_ERROR, 60, "url", "") && !has(IG_SEV_ERROR, 60, "advertisement", ""), "valid Tang server");
        ERR(61, "url", "must be http or https", "Tang URL scheme");
        ERR(61, "thumbprint", "thumbprint is required", "missing thumbprint");
        ERR(61, "advertisement", "not valid JSON", "bad advertisement");
        ERR(62, "advertisement", "not valid JSON", "NaN is not JSON");
        ERR(62, "url", "duplicate Tang server", "duplicate Tang URL");
        ERR(63, "url", "must be http or https", "empty Tang URL");
        ERR(70, "enabled", "cannot be combined with a keyFile", "cex with key file");
        ERR(71, "enabled", "cannot be combined with clevis", "cex with clevis");
        tap_ok(!has(IG_SEV_ERROR, 45, "", "cannot be combined"), "custom without pin does not conflict (3.3)");
        ERR(15, "name", "duplicate LUKS volume", "duplicate LUKS names");

        c.spec = IG_SPEC_3_2_0;
        run(&c);
        ERR(45, "", "cannot be combined with tang, tpm2", "3.2: any custom object conflicts with tpm2");
        tap_ok(!has(IG_SEV_ERROR, 52, "pin", ""), "3.2: needsNetwork alone is fine");
        c.spec = IG_SPEC_3_6_0;
        run(&c);
        tap_ok(!has(IG_SEV_ERROR, 51, "pin", ""), "any custom pin in 3.6");
}

/* ---- systemd, passwd, kernelArguments ---- */

static void test_systemd(void)
{
        struct ig_config c = mk(IG_SPEC_3_3_0);
        struct ig_dropin dr[3] = {
                { .node = 40, .name = "a.conf", .contents = "[Unit\n" },
                { .node = 41, .name = "b.txt" },
                { .node = 42, .name = "a.conf" },
        };
        struct ig_unit u[10] = {
                { .node = 10, .name = "a.service", .enabled = { true, true }, .contents = "[Unit]\nA=b\n", .dropins = { dr, 3 } },
                { .node = 11, .name = "b.conf" },
                { .node = 12, .name = "c.service", .contents = "[Unit] # x\nA=b\n" },
                { .node = 13, .name = "d.service", .contents = "[Unit]\nNoValue\n" },
                { .node = 14, .name = "e.service", .contents = "[Unit]\nA=b" },
                { .node = 15, .name = "t@.service", .contents = "[Service]\nExecStart=/bin/true\n" },
                { .node = 16, .name = "t@x.service", .enabled = { true, true } },
                { .node = 17, .name = "f.service", .contents = "Description=x\n[Unit]\nA=b\n" },
                { .node = 18, .name = "a.service" },
                { .node = 19, .name = "g.service", .enabled = { true, true },
                  .contents = "[Unit]\nA=b\n[Install]\nWantedBy=multi-user.target\n" },
        };

        c.systemd.units.v = u;
        c.systemd.units.n = 10;
        run(&c);
        WARN(10, "contents", "no [Install] section", "enabled unit without [Install]");
        ERR(40, "contents", "invalid unit content: unable to find end of section", "unterminated section header");
        ERR(41, "name", "must end in .conf", "drop-in suffix");
        ERR(42, "name", "duplicate drop-in", "duplicate drop-ins");
        ERR(11, "name", "invalid unit name \"b.conf\"", "unit suffix");
        ERR(12, "contents", "text after a section header", "garbage after a section header");
        ERR(13, "contents", "line without '='", "key without value");
        tap_ok(!has(IG_SEV_ERROR, 14, "contents", "") && !has(IG_SEV_WARNING, 14, "contents", ""), "plain unit");
        WARN(16, "enabled", "template unit \"t@.service\" has no [Install]", "instance of a template without [Install]");
        WARN(17, "contents", "before the first [section]", "assignment before any section");
        ERR(18, "name", "duplicate unit", "duplicate units");
        tap_ok(!has(IG_SEV_WARNING, 19, "contents", ""), "enabled unit with [Install]");

        u[3].contents = "[Unit]\nNoValue";
        run(&c);
        ERR(13, "contents", "unexpected end of text", "key at the end of the text");
}

static void test_passwd_kargs(void)
{
        struct ig_config c = mk(IG_SPEC_3_3_0);
        char *keys[] = { "ssh-ed25519 A", "ssh-ed25519 A" };
        char *groups[] = { "wheel", "wheel" };
        char *should[] = { "quiet", "console=ttyS0" };
        char *should_not[] = { "quiet", "rhgb", "rhgb" };
        struct ig_user users[3] = {
                { .node = 10, .name = "" },
                { .node = 11, .name = "core", .ssh_authorized_keys = { keys, 2 }, .groups = { groups, 2 } },
                { .node = 12, .name = "core" },
        };
        struct ig_group grp[2] = { { .node = 20, .name = "" }, { .node = 21, .name = "" } };

        c.passwd.users.v = users;
        c.passwd.users.n = 3;
        c.passwd.groups.v = grp;
        c.passwd.groups.n = 2;
        c.kernel_arguments = (struct ig_kernel_arguments) { .node = 30, .should_exist = { should, 2 },
                                                            .should_not_exist = { should_not, 3 } };
        run(&c);
        ERR(10, "name", "empty user name", "empty user name is an error");
        ERR(20, "name", "empty group name", "empty group name is an error");
        ERR(21, "name", "duplicate group", "duplicate groups");
        ERR(12, "name", "duplicate user", "duplicate users");
        ERR(11, "sshAuthorizedKeys[1]", "duplicate", "duplicate SSH keys");
        ERR(11, "groups[1]", "duplicate", "duplicate supplementary groups");
        ERR(30, "shouldNotExist[0]", "already listed at shouldExist[0]", "argument that should and should not exist");
        ERR(30, "shouldNotExist[2]", "duplicate", "duplicate argument");
}

static void test_valid_config(void)
{
        struct ig_config c = mk(IG_SPEC_3_4_0);
        char *keys[] = { "ssh-ed25519 AAAA core@host" };
        char *kargs[] = { "console=ttyS0" };
        struct ig_resource merge = { .node = 2, .source = "https://cfg.example.net/extra.ign",
                                     .verification = { .node = 3, .hash = "sha256-" H64 } };
        struct ig_partition part = { .node = 5, .label = "data", .number = { true, 1 }, .size_mib = { true, 0 } };
        struct ig_disk disk = { .node = 4, .device = "/dev/vdb", .wipe_table = { true, true }, .partitions = { &part, 1 } };
        struct ig_filesystem fs = { .node = 6, .device = "/dev/disk/by-partlabel/data", .format = "xfs", .path = "/var/srv",
                                    .label = "data", .wipe_filesystem = { true, true } };
        struct ig_file file = { .node = 7, .path = "/etc/hostname", .mode = { true, 0644 }, .overwrite = { true, true },
                                .contents = { .node = 8, .source = "data:,node1%0A", .verification.node = NONE },
                                .user.node = NONE, .group.node = NONE };
        struct ig_link link = { .node = 9, .path = "/etc/localtime", .target = "../usr/share/zoneinfo/UTC",
                                .overwrite = { true, true }, .user.node = NONE, .group.node = NONE };
        struct ig_unit unit = { .node = 11, .name = "hello.service", .enabled = { true, true },
                                .contents = "[Service]\nType=oneshot\nExecStart=/usr/bin/true\n[Install]\nWantedBy=multi-user.target\n" };
        struct ig_user user = { .node = 12, .name = "core", .ssh_authorized_keys = { keys, 1 } };

        c.ignition.config.merge.v = &merge;
        c.ignition.config.merge.n = 1;
        c.ignition.config.replace.node = NONE;
        c.ignition.config.replace.verification.node = NONE;
        c.ignition.timeouts.http_total = (struct ig_int) { true, 600 };
        c.storage.disks.v = &disk;
        c.storage.disks.n = 1;
        c.storage.filesystems.v = &fs;
        c.storage.filesystems.n = 1;
        c.storage.files.v = &file;
        c.storage.files.n = 1;
        c.storage.links.v = &link;
        c.storage.links.n = 1;
        c.systemd.units.v = &unit;
        c.systemd.units.n = 1;
        c.passwd.users.v = &user;
        c.passwd.users.n = 1;
        c.kernel_arguments.should_exist = (struct ig_strv) { kargs, 1 };
        run(&c);
        clean("a valid config has no findings");

        c = mk(IG_SPEC_3_0_0);
        run(&c);
        clean("an empty config is valid");

        /* warnings alone do not fail validation */
        struct ig_link untargeted = { .node = 1, .path = "/a" };
        c.storage.links.v = &untargeted;
        c.storage.links.n = 1;
        run(&c);
        no_errors("warnings only: validation succeeds");
        tap_ok(D.n_warnings == 1, "... with one warning");
}

int main(void)
{
        test_data_url();
        test_path_clean();
        test_unit_parser();
        test_resources();
        test_hashes();
        test_ignition_section();
        test_nodes();
        test_disks();
        test_raid();
        test_filesystems();
        test_luks();
        test_systemd();
        test_passwd_kargs();
        test_valid_config();
        ig_diags_free(&D);
        return tap_done();
}
