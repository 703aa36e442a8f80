/* SPDX-License-Identifier: Apache-2.0 */
/* The VMware provider's GuestRPC protocol and guestinfo logic, against a
 * model of the hypervisor's side of the backdoor (vmw-fake-host.h): a mock,
 * because the real thing cannot run here (only VMware answers it). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <zlib.h>

#include "internal.h"
#include "capture.h"
#include "tap.h"
#include "vmw-fake-host.h"
#include "vmware.h"

static int fetch(struct fake *f, struct fetched_config *out, char **log)
{
        struct vmw_transport t = { .call = fake_call, .ctx = f };
        int r;

        capture();
        r = vmware_fetch_guestinfo(&t, out);
        *log = captured();
        return r;
}

static bool clean(const struct fake *f)
{
        return f->violations == 0 && f->opens == f->closes && f->st == CLOSED;
}

#define CONFIG "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":\"/etc/vmw\"}]}}"

static char *b64(const void *data, size_t len)
{
        static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        char *out = malloc(len / 3 * 4 + 5), *o = out;

        for (size_t i = 0; i < len; i += 3) {
                unsigned v = (unsigned) p[i] << 16 | (i + 1 < len ? (unsigned) p[i + 1] << 8 : 0) |
                             (i + 2 < len ? p[i + 2] : 0);
                *o++ = a[v >> 18 & 63];
                *o++ = a[v >> 12 & 63];
                *o++ = i + 1 < len ? a[v >> 6 & 63] : '=';
                *o++ = i + 2 < len ? a[v & 63] : '=';
        }
        *o = '\0';
        return out;
}

static char *gzip_b64(const char *s)
{
        unsigned char buf[4096];
        z_stream z = { 0 };

        deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (unsigned char *) s;
        z.avail_in = (unsigned) strlen(s);
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        deflate(&z, Z_FINISH);
        deflateEnd(&z);
        return b64(buf, sizeof(buf) - z.avail_out);
}

static void test_plain(void)
{
        struct fake f = { .keys = { "ignition.config.data" }, .vals = { CONFIG } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && out.len == strlen(CONFIG), "plain data");
        tap_ok(out.source && strcmp(out.source, "VMware guestinfo.ignition.config.data") == 0,
               "source names the variable: %s", out.source);
        tap_ok(strcmp(f.commands, "info-get guestinfo.ovfEnv;info-get guestinfo.ignition.config.data;"
                                  "info-get guestinfo.ignition.config.data.encoding;") == 0,
               "commands sent: %s", f.commands);
        tap_ok(clean(&f) && f.opens == 3, "one channel per command, each closed, no violation (%u opens)", f.opens);
        tap_ok(!strstr(log, "/etc/vmw"), "the config is not logged");
        fetched_config_free(&out);
}

static void test_base64(const char *encoding)
{
        char *data = b64(CONFIG, strlen(CONFIG));
        struct fake f = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { data, encoding } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && clean(&f), "encoding \"%s\": decoded",
               encoding);
        fetched_config_free(&out);
        free(data);
}

static void test_gzip_base64(const char *encoding)
{
        char *data = gzip_b64(CONFIG);
        struct fake f = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { data, encoding } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && out.data && (unsigned char) out.data[0] == 0x1f && (unsigned char) out.data[1] == 0x8b,
               "encoding \"%s\": base64 undone, gzip data handed on", encoding);
        /* what provider_fetch() does next, for every platform */
        capture();
        r = provider_gunzip_if_gzip(&out);
        captured();
        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && clean(&f), "encoding \"%s\": the config",
               encoding);
        fetched_config_free(&out);
        free(data);
}

static void test_missing(void)
{
        struct fake f = { .keys = { "something.else" }, .vals = { "x" } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && !out.data && clean(&f), "no guestinfo.ignition.config.data: no config, not an error");
        tap_ok(strstr(log, "no config") != NULL, "and said so");
        fetched_config_free(&out);

        struct fake g = { .keys = { "ignition.config.data" }, .vals = { "" } };
        r = fetch(&g, &out, &log);
        tap_ok(r == 0 && !out.data && clean(&g), "empty guestinfo.ignition.config.data: no config");
        fetched_config_free(&out);

        /* found by fuzz-net: it came back as a config of 0 bytes */
        struct fake h = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { "\n", "b64" } };
        r = fetch(&h, &out, &log);
        tap_ok(r == 0 && !out.data && clean(&h), "base64 data that decodes to nothing: no config");
        tap_ok(strstr(log, "decodes to nothing: no config") != NULL, "and said so");
        fetched_config_free(&out);
}

#define OVF_HEAD                                                                                                  \
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                                          \
        "<Environment xmlns=\"http://schemas.dmtf.org/ovf/environment/1\"\n"                                    \
        "     xmlns:oe=\"http://schemas.dmtf.org/ovf/environment/1\" oe:id=\"\">\n"                             \
        "  <PlatformSection><Kind>VMware ESXi</Kind><Version>8.0.0</Version></PlatformSection>\n"               \
        "  <PropertySection>\n"                                                                                \
        "    <Property oe:key=\"hostname\" oe:value=\"node-1\"/>\n"

static void test_ovf(void)
{
        char *data = b64(CONFIG, strlen(CONFIG));
        char *ovf;
        struct fetched_config out;
        char *log;
        int r;

        if (asprintf(&ovf,
                     OVF_HEAD "    <Property oe:key=\"guestinfo.ignition.config.data.encoding\" oe:value=\"base64\"/>\n"
                              "    <Property oe:value=\"%s\"\n oe:key='guestinfo.ignition.config.data' />\n"
                              "  </PropertySection>\n</Environment>\n",
                     data) < 0)
                abort();
        struct fake f = { .keys = { "ovfEnv" }, .vals = { ovf } };
        r = fetch(&f, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && clean(&f),
               "no guestinfo variables: the OVF environment's properties (base64)");
        tap_ok(out.source && strcmp(out.source, "VMware guestinfo.ovfEnv property guestinfo.ignition.config.data") == 0,
               "source: %s", out.source);
        fetched_config_free(&out);

        /* the direct variable wins; the OVF encoding still applies to it */
        struct fake g = { .keys = { "ovfenv", "ignition.config.data" }, .vals = { ovf, data } };
        r = fetch(&g, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && out.source &&
                       strcmp(out.source, "VMware guestinfo.ignition.config.data") == 0 && clean(&g),
               "guestinfo.ignition.config.data wins over the OVF property, with the OVF encoding");
        fetched_config_free(&out);

        /* a direct encoding overrides the OVF one */
        struct fake h = { .keys = { "ovfEnv", "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { ovf, CONFIG, "" } };
        r = fetch(&h, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && clean(&h),
               "an empty guestinfo encoding overrides the OVF property's base64");
        fetched_config_free(&out);

        /* entities in attribute values are decoded */
        free(ovf);
        if (asprintf(&ovf, OVF_HEAD "    <Property oe:key=\"guestinfo.ignition.config.data\" oe:value=\"%s\"/>\n"
                                    "  </PropertySection>\n</Environment>\n",
                     "{&quot;ignition&quot;:{&quot;version&quot;:&quot;3.4.0&quot;}}") < 0)
                abort();
        struct fake k = { .keys = { "ovfEnv" }, .vals = { ovf } };
        r = fetch(&k, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, "{\"ignition\":{\"version\":\"3.4.0\"}}") == 0,
               "OVF property with entities: %s", out.data ? out.data : "(none)");
        fetched_config_free(&out);

        /* an OVF environment without the properties: no config */
        free(ovf);
        ovf = strdup(OVF_HEAD "  </PropertySection>\n</Environment>\n");
        struct fake m = { .keys = { "ovfEnv" }, .vals = { ovf } };
        r = fetch(&m, &out, &log);
        tap_ok(r == 0 && !out.data && clean(&m), "an OVF environment without the properties: no config");
        fetched_config_free(&out);

        /* a malformed OVF environment: warned about, the variables still used */
        struct fake n = { .keys = { "ovfEnv", "ignition.config.data" },
                          .vals = { "<Environment><Property oe:key=\"guestinfo.ignition.config.data\" oe:value=x/>",
                                    CONFIG } };
        r = fetch(&n, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && strstr(log, "guestinfo.ovfEnv is not XML"),
               "a malformed OVF environment is a warning; the variable is used");
        fetched_config_free(&out);
        free(ovf);
        free(data);
}

static void test_bad_encoding(void)
{
        struct fake f = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { CONFIG, "rot13" } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == -EINVAL && !out.data && clean(&f), "unknown encoding: an error (%d)", r);
        tap_ok(strstr(log, "guestinfo.ignition.config.data.encoding is \"rot13\"") != NULL,
               "the message names the variable and the value");

        struct fake g = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { "not*base64!", "base64" } };
        r = fetch(&g, &out, &log);
        tap_ok(r == -EBADMSG && !out.data && strstr(log, "guestinfo.ignition.config.data is not base64"),
               "data that is not base64: an error naming the variable");

        char *plain_b64 = b64(CONFIG, strlen(CONFIG));
        struct fake h = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { plain_b64, "gzip+base64" } };
        r = fetch(&h, &out, &log);
        tap_ok(r == -EBADMSG && !out.data && strstr(log, "guestinfo.ignition.config.data is not gzip data"),
               "gzip+base64 data that is not gzip: an error naming the variable");
        tap_ok(!strstr(log, "/etc/vmw") && !strstr(log, plain_b64), "no config bytes in the messages");
        free(plain_b64);
}

static void test_channel_faults(void)
{
        struct fetched_config out;
        char *log;
        int r;

        struct fake f = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .refuse_open = true };
        r = fetch(&f, &out, &log);
        tap_ok(r == -ECONNREFUSED && !out.data && f.violations == 0, "channel open refused: an error (%d)", r);
        tap_ok(strstr(log, "refused to open a GuestRPC channel") != NULL, "and said so");

        struct fake g = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .refuse_cookie = true };
        r = fetch(&g, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && clean(&g),
               "a host without cookies: opened again without the flag");
        fetched_config_free(&out);

        struct fake h = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .cut_reply_at = 12 };
        r = fetch(&h, &out, &log);
        tap_ok(r == -EPROTO && !out.data && h.violations == 0 && h.st == CLOSED, "truncated reply: an error (%d), "
               "channel closed", r);
        tap_ok(strstr(log, "cut off after 12 of") != NULL, "the message says where the reply stopped");

        struct fake k = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .cpt_send = 1, .cpt_recv = 1 };
        r = fetch(&k, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && clean(&k) && k.cpt_send == 0 &&
                       k.cpt_recv == 0,
               "checkpoints mid-send and mid-receive: sent / received again, the config intact");
        fetched_config_free(&out);

        struct fake m = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .cpt_send = 100 };
        r = fetch(&m, &out, &log);
        tap_ok(r == -EPROTO && m.st == CLOSED && strstr(log, "interrupted"), "endless checkpoints sending: gives up (%d)",
               r);

        struct fake m2 = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .cpt_recv = 100 };
        r = fetch(&m2, &out, &log);
        tap_ok(r == -EPROTO && m2.st == CLOSED && strstr(log, "reply was interrupted"),
               "endless checkpoints receiving: gives up (%d)", r);

        struct fake m3 = { .raw_reply = "0 Permission denied" };
        r = fetch(&m3, &out, &log);
        tap_ok(r == 0 && !out.data && clean(&m3) && strstr(log, "answered \"Permission denied\" for guestinfo."),
               "another refusal than \"No value found\": not set, and said");

        struct fake n = { .raw_reply = "garbage" };
        r = fetch(&n, &out, &log);
        tap_ok(r == -EPROTO && !out.data && clean(&n) && strstr(log, "neither \"1 value\" nor \"0 error\""),
               "a reply that is neither 1 nor 0: an error");
}

static void test_values(void)
{
        struct vmw_transport t;
        char val[16];

        /* every length around the 4-byte words */
        for (size_t n = 0; n <= 9; n++) {
                struct fake f = { .keys = { "k" }, .vals = { val } };
                char *got;
                size_t len;
                int r;

                memset(val, 0, sizeof(val));
                for (size_t i = 0; i < n; i++)
                        val[i] = (char) ('a' + i);
                t = (struct vmw_transport) { .call = fake_call, .ctx = &f };
                r = vmw_guestinfo_get(&t, "k", 64, &got, &len);
                tap_ok(r == 0 && got && len == n && strcmp(got, val) == 0 && clean(&f), "a %zu-byte value", n);
                free(got);
        }

        struct fake g = { .keys = { "k" }, .vals = { "0123456789abcdef" } };
        char *got;
        size_t len;
        int r;

        t = (struct vmw_transport) { .call = fake_call, .ctx = &g };
        capture();
        r = vmw_guestinfo_get(&t, "k", 8, &got, &len);
        char *log = captured();
        tap_ok(r == -EFBIG && !got && g.st == CLOSED && strstr(log, "guestinfo.k is larger than 8 bytes"),
               "a value over the limit: an error naming it, channel closed");
}

/* Whatever the host answers, the client returns 0 or an error, never reads
 * or writes out of bounds (ASan, valgrind), always NUL-terminates, and
 * closes every channel it opened. */
static void test_chaos(void)
{
        unsigned ok = 0, errors = 0, bad = 0;

        for (unsigned seed = 1; seed <= 3000; seed++) {
                struct fake f = { .keys = { "k" }, .vals = { "{\"ignition\":{\"version\":\"3.4.0\"}}" },
                                  .chaos = seed, .quiet = true };
                struct vmw_transport t = { .call = fake_call, .ctx = &f };
                char *v;
                size_t len;
                int r;

                capture();
                r = vmw_guestinfo_get(&t, "k", 4096, &v, &len);
                if (strstr(captured_quiet(false), "runtime error"))
                        bad++;
                if (r == 0) {
                        ok++;
                        if (v && strlen(v) != len)
                                bad++;
                } else if (r < 0 && !v)
                        errors++;
                else
                        bad++;
                if (f.opens_seen != f.close_calls)
                        bad++;
                free(v);
        }
        tap_ok(bad == 0 && ok > 0 && errors > 0, "3000 runs against a host answering at random: %u ok, %u errors, "
               "%u inconsistent", ok, errors, bad);
}

static void test_xml_bounds(void)
{
        static const char doc[] = OVF_HEAD
                "    <Property oe:key=\"guestinfo.ignition.config.data\" oe:value=\"a&amp;b&#x41;\"/>\n"
                "  </PropertySection>\n</Environment>\n";
        size_t len = strlen(doc), whole = (size_t) (strstr(doc, "x41;\"/>") - doc) + 7, found = 0;

        /* every prefix, in an exactly-sized allocation: ASan/valgrind see
         * any read past the end */
        for (size_t n = 0; n <= len; n++) {
                char *copy = malloc(n ? n : 1), *v = NULL;
                int r;

                memcpy(copy, doc, n);
                r = xml_keyed_attribute(copy, n, "Property", "key", "guestinfo.ignition.config.data", "value", &v);
                if (r == 0 && v && strcmp(v, "a&bA") == 0 && n >= whole)
                        found++;
                free(v);
                free(copy);
        }
        tap_ok(found == len - whole + 1,
               "keyed attribute decoded (a&amp;b&#x41; -> a&bA), every prefix read in bounds (%zu prefixes hold it)",
               found);
}

static int delete(struct fake *f, char **log)
{
        struct vmw_transport t = { .call = fake_call, .ctx = f };
        int r;

        capture();
        r = vmware_delete_guestinfo(&t);
        *log = captured();
        return r;
}

static const char *value_of(const struct fake *f, const char *key)
{
        for (size_t i = 0; i < 4 && f->keys[i]; i++)
                if (strcasecmp(f->keys[i], key) == 0)
                        return f->vals[i];
        return NULL;
}

/* ignis delete-config: the config out of guestinfo (as ignition-rmcfg) */
static void test_delete(void)
{
        char *data = b64(CONFIG, strlen(CONFIG)), *ovf, *log;
        struct fetched_config out;
        int r;

        /* the variables: data becomes base64 "{}", the encoding base64 */
        struct fake f = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { CONFIG, "" } };
        r = delete(&f, &log);
        tap_ok(r == 0 && clean(&f) && f.sets == 2 && strcmp(value_of(&f, "ignition.config.data"), "e30K") == 0 &&
                       strcmp(value_of(&f, "ignition.config.data.encoding"), "base64") == 0,
               "delete: guestinfo.ignition.config.data = e30K, encoding base64 (%u sets)", f.sets);
        tap_ok(strstr(log, "deleting the config from guestinfo.ignition.config.data") && !strstr(log, "/etc/vmw") &&
                       !strstr(f.commands, "/etc/vmw;") && strstr(f.commands, "info-set guestinfo.ignition.config.data e30K;"),
               "delete: said, the config itself never logged; commands: %.200s", f.commands);
        r = fetch(&f, &out, &log);
        tap_ok(r == 0 && out.data && strcmp(out.data, "{}\n") == 0, "delete: what a fetch finds afterwards is {}");
        fetched_config_free(&out);

        /* done twice: the second run writes nothing */
        unsigned sets = f.sets;
        f.commands[0] = '\0';
        r = delete(&f, &log);
        tap_ok(r == 0 && f.sets == sets && clean(&f), "delete: a second run writes nothing (%s)", f.commands);

        /* the encoding was already base64: only the data is written */
        struct fake g = { .keys = { "ignition.config.data", "ignition.config.data.encoding" },
                          .vals = { data, "base64" } };
        r = delete(&g, &log);
        tap_ok(r == 0 && g.sets == 1 && strcmp(value_of(&g, "ignition.config.data"), "e30K") == 0,
               "delete: encoding already base64: one write (%u)", g.sets);

        /* nothing set: nothing written */
        struct fake h = {};
        r = delete(&h, &log);
        tap_ok(r == 0 && h.sets == 0 && clean(&h), "delete: no config in guestinfo: nothing written");

        /* the OVF environment: the two properties cut out, the rest kept */
        if (asprintf(&ovf,
                     OVF_HEAD "    <Property oe:key=\"guestinfo.ignition.config.data.encoding\" oe:value=\"base64\"/>\n"
                              "    <Property oe:value=\"%s\"\n oe:key='guestinfo.ignition.config.data' />\n"
                              "    <Property oe:key=\"guestinfo.other\" oe:value=\"kept\"/>\n"
                              "  </PropertySection>\n</Environment>\n",
                     data) < 0)
                abort();
        struct fake k = { .keys = { "ovfEnv" }, .vals = { ovf } };
        r = delete(&k, &log);
        const char *pruned = value_of(&k, "ovfEnv");
        tap_ok(r == 0 && k.sets == 1 && pruned && !strstr(pruned, "guestinfo.ignition.config.data") &&
                       !strstr(pruned, data) && strstr(pruned, "oe:key=\"hostname\" oe:value=\"node-1\"") &&
                       strstr(pruned, "<Property oe:key=\"guestinfo.other\" oe:value=\"kept\"/>") &&
                       strstr(pruned, "</PropertySection>\n</Environment>\n") && strstr(log, "2 properties"),
               "delete: the OVF environment loses the two properties, keeps the rest");
        r = fetch(&k, &out, &log);
        tap_ok(r == 0 && !out.data, "delete: a fetch then finds no config in the OVF environment");
        fetched_config_free(&out);
        k.commands[0] = '\0';
        sets = k.sets;
        r = delete(&k, &log);
        tap_ok(r == 0 && k.sets == sets, "delete: the pruned OVF environment is not written again");

        /* a host that refuses the write: an error naming the variable, not the value */
        struct fake m = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .refuse_set = true };
        r = delete(&m, &log);
        tap_ok(r == -EACCES && strstr(log, "refused to set guestinfo.ignition.config.data") &&
                       !strstr(log, "/etc/vmw") && strcmp(value_of(&m, "ignition.config.data"), CONFIG) == 0,
               "delete: a refused write is an error naming the variable (%d)", r);

        /* an OVF environment this reader cannot edit: an error, not a guess */
        struct fake n = { .keys = { "ovfEnv" },
                          .vals = { "<Environment><Property oe:key=\"guestinfo.ignition.config.data\" "
                                    "oe:value=\"x\">text</Property></Environment>" } };
        r = delete(&n, &log);
        tap_ok(r < 0 && n.sets == 0 && strstr(log, "is not deleted"),
               "delete: a non-empty <Property> is refused, nothing written (%d)", r);

        /* a channel that will not open: the error comes back */
        struct fake q = { .keys = { "ignition.config.data" }, .vals = { CONFIG }, .refuse_open = true, .quiet = true };
        r = delete(&q, &log);
        tap_ok(r < 0 && q.sets == 0, "delete: no channel: an error (%d)", r);
        free(ovf);
        free(data);
}

static void test_xml_remove(void)
{
        static const char *const keys[] = { "a", "b", NULL };
        static const char doc[] = "<E><P k=\"a\" v=\"1\"/><P k='z'/>\n<x:P x:k=\"b\"/><Q k=\"a\"/></E>";
        size_t len = strlen(doc), n = 0, removed = 0, ok = 0;
        char *out = NULL;
        int r = xml_remove_keyed_elements(doc, len, "P", "k", keys, &out, &n, &removed);

        tap_ok(r == 0 && removed == 2 && out && strcmp(out, "<E><P k='z'/>\n<Q k=\"a\"/></E>") == 0 && n == strlen(out),
               "xml: keyed elements cut out, other elements and names kept (%zu bytes left)", n);
        free(out);
        /* every prefix in an exactly-sized allocation: reads stay in bounds */
        for (size_t m = 0; m <= len; m++) {
                char *copy = malloc(m ? m : 1);
                memcpy(copy, doc, m);
                out = NULL;
                r = xml_remove_keyed_elements(copy, m, "P", "k", keys, &out, &n, &removed);
                if ((r == 0 && out && n <= m) || r == -EBADMSG)
                        ok++;
                free(out);
                free(copy);
        }
        tap_ok(ok == len + 1, "xml: every prefix edited or refused in bounds (%zu of %zu)", ok, len + 1);
}

int main(void)
{
        test_plain();
        test_base64("base64");
        test_base64("b64");
        test_gzip_base64("gzip+base64");
        test_gzip_base64("gz+b64");
        test_missing();
        test_ovf();
        test_bad_encoding();
        test_channel_faults();
        test_values();
        test_chaos();
        test_xml_bounds();
        test_delete();
        test_xml_remove();
        return tap_done();
}
