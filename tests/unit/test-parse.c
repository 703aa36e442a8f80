/* SPDX-License-Identifier: Apache-2.0 */
/* The table-driven parser: unset vs zero, versions, null, keys, and the
 * large-document path that hands json-c one element at a time. */

#include <errno.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "tap.h"

struct parsed {
        struct ig_jindex ix;
        struct ig_config c;
        struct ig_diags d;
        int r;
};

static void parse(struct parsed *p, const char *text, bool strict)
{
        struct ig_parse_options o = { .strict = strict };
        struct ig_jerror err;

        memset(p, 0, sizeof(*p));
        p->r = ig_jindex_build(&p->ix, text, strlen(text), &err);
        if (p->r < 0) {
                ig_diag_add_at(&p->d, IG_SEV_ERROR, err.offset, "%s", err.message);
                return;
        }
        p->r = ig_config_parse(&p->ix, &o, &p->c, &p->d);
}

static void done(struct parsed *p)
{
        ig_config_free(&p->c);
        ig_diags_free(&p->d);
        ig_jindex_free(&p->ix);
}

static bool has_diag(struct parsed *p, enum ig_severity sev, const char *suffix_path, const char *msg)
{
        for (size_t i = 0; i < p->d.n; i++) {
                struct ig_diag *g = &p->d.v[i];
                char *path = g->node != IG_NODE_NONE ? ig_jindex_path(&p->ix, g->node, g->suffix) : NULL;
                bool ok = g->severity == sev && strstr(g->message, msg) &&
                          (!suffix_path || (path && strcmp(path, suffix_path) == 0));
                free(path);
                if (ok)
                        return true;
        }
        return false;
}

static void test_unset_vs_zero(void)
{
        struct parsed p;

        parse(&p, "{\"ignition\":{\"version\":\"3.2.0\"},\"storage\":{\"disks\":[{\"device\":\"/dev/vda\","
                  "\"partitions\":[{\"number\":1,\"sizeMiB\":0},{\"label\":\"x\",\"wipePartitionEntry\":false}]}],"
                  "\"files\":[{\"path\":\"/a\",\"contents\":{\"source\":\"\"}},{\"path\":\"/b\"}]}}", false);
        tap_ok(p.r == 0 && p.d.n == 0, "3.2.0 disk config parses cleanly");
        struct ig_partition *a = &p.c.storage.disks.v[0].partitions.v[0], *b = &p.c.storage.disks.v[0].partitions.v[1];
        tap_ok(a->size_mib.set && a->size_mib.v == 0, "sizeMiB 0 is set and zero");
        tap_ok(!a->start_mib.set, "startMiB unset stays unset");
        tap_ok(!b->number.set && b->label && strcmp(b->label, "x") == 0, "label without number");
        tap_ok(b->wipe_partition_entry.set && !b->wipe_partition_entry.v, "explicit false is set");
        tap_ok(!a->should_exist.set, "shouldExist unset");
        tap_ok(p.c.storage.files.v[0].contents.source && p.c.storage.files.v[0].contents.source[0] == '\0',
               "empty source is \"\", not NULL");
        tap_ok(p.c.storage.files.v[1].contents.node == IG_NODE_NONE && !p.c.storage.files.v[1].contents.source,
               "absent contents is absent");
        tap_ok(p.c.spec == IG_SPEC_3_2_0, "spec recorded");
        done(&p);
}

static void test_versions(void)
{
        static const struct {
                const char *version;
                int r;
                const char *msg;
        } cases[] = {
                { "3.0.0", 0, NULL },
                { "3.5.0", 0, NULL },
                { "3.6.0", 0, NULL },
                { "3.7.0-experimental", 0, "experimental" },
                { "2.2.0", -EINVAL, "convert 2.x configs" },
                { "3.4.0-experimental", -EINVAL, "only the current experimental" },
                { "3.8.0", -EINVAL, "is not supported" },
                { "4.0.0", -EINVAL, "is not supported" },
                { "3.4", -EINVAL, "not a version number" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct parsed p;
                char *doc = xasprintf("{\"ignition\":{\"version\":\"%s\"}}", cases[i].version);
                parse(&p, doc, false);
                tap_ok(p.r == cases[i].r && (!cases[i].msg || has_diag(&p, cases[i].r ? IG_SEV_ERROR : IG_SEV_WARNING,
                                                                       "$.ignition.version", cases[i].msg)),
                       "version %s -> %d", cases[i].version, cases[i].r);
                done(&p);
                free(doc);
        }

        struct parsed p;
        parse(&p, "{\"storage\":{}}", false);
        tap_ok(p.r == -EINVAL && has_diag(&p, IG_SEV_ERROR, NULL, "ignition.version is missing"), "missing version");
        done(&p);
        parse(&p, "{\"ignition\":{\"version\":3}}", false);
        tap_ok(p.r == -EINVAL && has_diag(&p, IG_SEV_ERROR, "$.ignition.version", "expected a version string"),
               "numeric version");
        done(&p);
        parse(&p, "[1]", false);
        tap_ok(p.r == -EINVAL && has_diag(&p, IG_SEV_ERROR, "$", "must be a JSON object"), "array document");
        done(&p);
        parse(&p, "{\"Ignition\":{\"Version\":\"3.1.0\"}}", false);
        tap_ok(p.r == 0 && p.c.spec == IG_SPEC_3_1_0 && has_diag(&p, IG_SEV_WARNING, "$.Ignition", "only when case"),
               "case-insensitive ignition.version, as Go reads it");
        done(&p);
}

static void test_fields_by_version(void)
{
        struct parsed p;

        parse(&p, "{\"ignition\":{\"version\":\"3.1.0\"},\"storage\":{\"disks\":[{\"device\":\"/dev/vda\","
                  "\"partitions\":[{\"number\":1,\"resize\":true}]}]}}", false);
        tap_ok(p.r == 0 && !p.c.storage.disks.v[0].partitions.v[0].resize.set &&
               has_diag(&p, IG_SEV_WARNING, "$.storage.disks[0].partitions[0].resize", "from spec 3.2.0 on"),
               "resize in 3.1.0 is ignored with a warning");
        done(&p);

        parse(&p, "{\"ignition\":{\"version\":\"3.0.0\",\"config\":{\"merge\":[{\"source\":\"data:,\","
                  "\"compression\":\"gzip\"}]}},\"storage\":{\"files\":[{\"path\":\"/x\",\"contents\":"
                  "{\"compression\":\"gzip\",\"source\":\"data:,\"}}]}}", false);
        tap_ok(!p.c.ignition.config.merge.v[0].compression &&
               has_diag(&p, IG_SEV_WARNING, "$.ignition.config.merge[0].compression", "from spec 3.1.0"),
               "compression on config references needs 3.1.0");
        tap_ok(p.c.storage.files.v[0].contents.compression != NULL, "compression on file contents exists in 3.0.0");
        done(&p);

        parse(&p, "{\"ignition\":{\"version\":\"3.5.0\"},\"storage\":{\"luks\":[{\"name\":\"a\",\"device\":\"/dev/b\","
                  "\"cex\":{\"enabled\":true},\"discard\":true}]},\"kernelArguments\":{\"shouldExist\":[\"a\"]}}", false);
        tap_ok(p.r == 0 && p.d.n == 0 && p.c.storage.luks.v[0].cex.enabled.v && p.c.storage.luks.v[0].discard.v &&
               p.c.kernel_arguments.should_exist.n == 1, "3.5.0 fields parse");
        done(&p);
}

static void test_keys_and_types(void)
{
        struct parsed p;

        parse(&p, "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"filez\":[],\"Files\":[{\"path\":\"/a\"}]}}",
              false);
        tap_ok(p.r == 0 && has_diag(&p, IG_SEV_WARNING, "$.storage.filez", "did you mean \"files\""),
               "typo gets a did-you-mean");
        tap_ok(p.c.storage.files.n == 1 && has_diag(&p, IG_SEV_WARNING, "$.storage.Files", "only when case"),
               "case-mismatched key applied with a warning");
        done(&p);

        parse(&p, "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"filez\":[]}}", true);
        tap_ok(has_diag(&p, IG_SEV_ERROR, "$.storage.filez", "unknown key"), "--strict makes unknown keys errors");
        done(&p);

        parse(&p, "{\"ignition\":{\"version\":\"3.3.0\"},\"passwd\":{\"users\":[{\"name\":\"a\",\"uid\":1,\"uid\":2}]}}",
              false);
        tap_ok(p.c.passwd.users.v[0].uid.v == 2 && has_diag(&p, IG_SEV_WARNING, "$.passwd.users[0].uid", "duplicate key"),
               "duplicate key: last wins, warned");
        done(&p);

        parse(&p, "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"mode\":\"420\"},"
                  "{\"path\":5,\"mode\":4.5},{\"path\":\"/c\",\"mode\":99999999999999999999}],\"links\":{}}}", false);
        tap_ok(has_diag(&p, IG_SEV_ERROR, "$.storage.files[0].mode", "expected an integer, found a string"),
               "string for int");
        tap_ok(has_diag(&p, IG_SEV_ERROR, "$.storage.files[1].path", "expected a string, found a number"),
               "number for string");
        tap_ok(has_diag(&p, IG_SEV_ERROR, "$.storage.files[1].mode", "expected an integer, found 4.5"), "float for int");
        tap_ok(has_diag(&p, IG_SEV_ERROR, "$.storage.files[2].mode", "out of range"), "int overflow");
        tap_ok(has_diag(&p, IG_SEV_ERROR, "$.storage.links", "expected an array"), "object for list");
        done(&p);

        parse(&p, "{\"ignition\":{\"version\":\"3.3.0\",\"config\":null},\"storage\":{\"files\":[null,"
                  "{\"path\":\"/a\",\"mode\":null}]},\"passwd\":{\"users\":[{\"name\":\"u\",\"groups\":[null,\"g\"]}]}}",
              false);
        tap_ok(p.r == 0 && p.d.n_errors == 0, "nulls are accepted");
        tap_ok(p.c.ignition.config.node == IG_NODE_NONE, "null object is absent");
        tap_ok(p.c.storage.files.n == 2 && !p.c.storage.files.v[0].path && !p.c.storage.files.v[1].mode.set,
               "null list element is an empty entry, null int is unset");
        tap_ok(strcmp(p.c.passwd.users.v[0].groups.v[0], "") == 0, "null string in a list is \"\" (as Go)");
        done(&p);

        parse(&p, "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/a\\u0000b\"}]}}", false);
        tap_ok(has_diag(&p, IG_SEV_ERROR, "$.storage.files[0].path", "NUL"), "NUL inside a string is refused");
        done(&p);
}

/* A document above the materialization threshold must give exactly what the
 * same content gives when json-c parses it whole. */
static void test_large_document(void)
{
        size_t n = 3000, cap = 256 * n + 256, len = 0;
        char *doc = xmalloc(cap);
        struct parsed p;

        len += (size_t) snprintf(doc + len, cap - len,
                                 "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[");
        for (size_t i = 0; i < n; i++)
                len += (size_t) snprintf(doc + len, cap - len,
                                         "%s{\"path\":\"/f/%zu\",\"mode\":%zu,\"overwrite\":%s,\"contents\":"
                                         "{\"source\":\"data:,%zu\"},\"bogus%s\":1}",
                                         i ? "," : "", i, i % 512, i % 2 ? "true" : "false", i,
                                         i == 2999 ? "" : "x");
        len += (size_t) snprintf(doc + len, cap - len, "]},\"systemd\":{\"units\":[{\"name\":\"a.service\"}]}}");

        parse(&p, doc, false);
        tap_ok(p.r == 0 && p.c.storage.files.n == n, "large document: %zu files", p.c.storage.files.n);
        tap_ok(p.c.storage.files.v[1234].mode.v == 1234 % 512 && p.c.storage.files.v[1234].overwrite.v == false &&
               strcmp(p.c.storage.files.v[1234].contents.source, "data:,1234") == 0 &&
               strcmp(p.c.storage.files.v[1234].path, "/f/1234") == 0, "large document: element values");
        tap_ok(p.d.n_warnings == n && has_diag(&p, IG_SEV_WARNING, "$.storage.files[2999].bogus", "unknown key"),
               "large document: unknown keys located (%zu warnings)", p.d.n_warnings);
        tap_ok(p.c.systemd.units.n == 1, "large document: sections after the big array");
        done(&p);

        /* A syntax error deep inside an element of a large array. */
        char *bad = strstr(doc, "\"/f/2500\"");
        bad[3] = '\x01';
        parse(&p, doc, false);
        unsigned line, col;
        tap_ok(p.r == -EINVAL && p.d.n_errors == 1 && p.d.v[0].offset == (size_t) (bad + 3 - doc),
               "large document: raw control character found at its offset");
        ig_jindex_position(&p.ix, p.d.v[0].offset, &line, &col);
        tap_ok(line == 1 && col == (unsigned) (bad + 3 - doc) + 1, "large document: line:col %u:%u", line, col);
        done(&p);
        free(doc);
}

int main(void)
{
        test_unset_vs_zero();
        test_versions();
        test_fields_by_version();
        test_keys_and_types();
        test_large_document();
        return tap_done();
}
