/* SPDX-License-Identifier: Apache-2.0 */
/* Everything of ours that reads bytes a server, a metadata medium or a DHCP
 * server chose, in one harness (one CI slot): the first byte picks the
 * target, the rest is its input.
 *
 *   0  xml_element_text (ovf-env.xml, the wireserver's goal state),
 *      xml_remove_keyed_elements (delete-config's OVF environment),
 *      xml_escape and utf8_prefix (the health report)
 *   1  provider_base64_decode (user data), the HTML and cloud-init checks
 *   2  provider_gunzip_if_gzip (gzip'd user data and its size limit)
 *   3  proxy_wanted (ignition.proxy.noProxy)
 *   4  url_for_message (every URL in a log line)
 *   5  http_header_line and http_response_header (a response's header
 *      block as libcurl hands it over: GCP's Metadata-Flavor, S3's
 *      x-amz-bucket-region)
 *   6  dhcp_lease_value (systemd-networkd's lease files: Azure's option
 *      245, CloudStack's SERVER_ADDRESS)
 *   7  the VMware GuestRPC client and guestinfo logic against a model of
 *      the hypervisor (tests/unit/vmw-fake-host.h) whose guestinfo values
 *      and faults come from the input
 *   8  the VirtualBox HGCM client and /Ignition/Config logic against a
 *      model of the vboxguest driver (tests/unit/vbox-fake-host.h) whose
 *      answers to GET_PROP (statuses, claimed sizes, reply bytes) and
 *      faults come from the input
 *
 * Beyond "no crash, no leak, no undefined behaviour": bounded output,
 * decode(encode(x)) == x against encoders written here, the gzip limit at
 * its exact boundary, and that a URL shown in a message never carries its
 * userinfo, query or fragment. */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <zlib.h>

#include "fuzz-common.h"
#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/fetch.h"
#include "ignis/util.h"
#include "fetch-internal.h"
#include "internal.h"
#include "../unit/vbox-fake-host.h"
#include "../unit/vmw-fake-host.h"
#include "virtualbox.h"
#include "vmware.h"

#define N_TARGETS 9

/* ---------- 0: XML ---------- */

static void fuzz_xml(const uint8_t *data, size_t size)
{
        static const char *const names[] = { "CustomData", "Incarnation", "ContainerId", "InstanceId",
                                             "UserData", "a" };
        const char *name;
        char *text = NULL, *s, *esc, *doc, *back = NULL, *want;
        size_t n, cut, max;
        int r;

        if (size == 0)
                return;
        name = names[data[0] % ELEMENTSOF(names)];
        data++, size--;

        /* Arbitrary bytes, not NUL-terminated: ASan sees any read past them. */
        s = fuzz_copy(data, size);
        r = xml_element_text(s, size, name, &text);
        FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EBADMSG, "xml_element_text returned %d", r);
        FUZZ_CHECK((r == 0) == (text != NULL), "result %d with text %p", r, (void *) text);
        /* Entities and CDATA only ever shrink: the text is bounded by the input. */
        if (text)
                FUZZ_CHECK(strlen(text) <= size, "%zu bytes of text from %zu bytes", strlen(text), size);
        free(text);

        /* What ignis delete-config does to an OVF environment: never a read
         * out of bounds, never more bytes than it was given. */
        {
                static const char *const keys[] = { "guestinfo.ignition.config.data",
                                                    "guestinfo.ignition.config.data.encoding", NULL };
                char *pruned = NULL;
                size_t plen, removed;

                r = xml_remove_keyed_elements(s, size, "Property", "key", keys, &pruned, &plen, &removed);
                FUZZ_CHECK(r == 0 || r == -EBADMSG, "xml_remove_keyed_elements returned %d", r);
                FUZZ_CHECK((r == 0) == (pruned != NULL), "result %d with text %p", r, (void *) pruned);
                if (pruned)
                        FUZZ_CHECK(plen <= size && (removed > 0 || plen == size),
                                   "%zu bytes from %zu, %zu removed", plen, size, removed);
                free(pruned);
        }
        free(s);

        /* What the health report writes, read back as the element's text:
         * the same string, with the control characters XML cannot carry as
         * '?'. */
        s = fuzz_cstring(data, size);
        n = strlen(s);
        esc = xml_escape(s);
        doc = xasprintf("<?xml version=\"1.0\"?><x:R xmlns:x=\"u\"><x:%s a=\"/>\">%s</x:%s ></x:R>", name, esc,
                        name);
        r = xml_element_text(doc, strlen(doc), name, &back);
        FUZZ_CHECK(r == 0, "escaped text not read back (%d): %s", r, doc);
        want = strdup(s);
        for (char *p = want; *p; p++)
                if ((unsigned char) *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                        *p = '?';
        FUZZ_CHECK(strcmp(back, want) == 0, "escaped text read back differently");

        /* The summary is cut to fit without splitting a UTF-8 sequence. */
        max = size ? data[0] : 0;
        cut = utf8_prefix(s, max);
        FUZZ_CHECK(n <= max ? cut == n : cut <= max, "utf8_prefix(%zu bytes, %zu) = %zu", n, max, cut);
        FUZZ_CHECK(cut == n || cut == 0 || ((unsigned char) s[cut] & 0xc0) != 0x80,
                   "utf8_prefix cut inside a sequence at %zu", cut);

        free(want);
        free(back);
        free(doc);
        free(esc);
        free(s);
}

/* ---------- 1: base64, HTML, cloud-init ---------- */

static bool is_b64(uint8_t c)
{
        return isalnum(c) || c == '+' || c == '/';
}

static int b64_val(uint8_t c)
{
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        return (int) (strchr(tab, c) - tab);
}

/* A strict decoder of its own: the reference the provider's must agree
 * with on every input it accepts. */
static bool ref_b64_decode(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len)
{
        uint8_t q[4];
        size_t nq = 0, o = 0, pad = 0;

        for (size_t i = 0; i < len; i++) {
                if (strchr(" \t\r\n", in[i]) && in[i])
                        continue;
                if (in[i] == '=')
                        pad++;
                else if (!is_b64(in[i]) || pad)
                        return false;
                q[nq++] = in[i];
                if (nq == 4) {
                        uint32_t v = 0;
                        for (int k = 0; k < 4; k++)
                                v = v << 6 | (q[k] == '=' ? 0 : (uint32_t) b64_val(q[k]));
                        out[o++] = (uint8_t) (v >> 16);
                        out[o++] = (uint8_t) (v >> 8);
                        out[o++] = (uint8_t) v;
                        nq = 0;
                }
        }
        if (nq || pad > 2)
                return false;
        *out_len = o - pad;
        return true;
}

static char *ref_b64_encode(const uint8_t *p, size_t n, size_t wrap)
{
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        char *out = malloc((n + 2) / 3 * 6 + 3), *o = out;

        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) p[i] << 16 | (i + 1 < n ? (uint32_t) p[i + 1] << 8 : 0) |
                             (i + 2 < n ? p[i + 2] : 0);
                *o++ = tab[v >> 18 & 63];
                *o++ = tab[v >> 12 & 63];
                *o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
                *o++ = i + 2 < n ? tab[v & 63] : '=';
                /* Services wrap lines (ovf-env.xml, Oracle's user data). */
                if (wrap && (i / 3 + 1) % wrap == 0) {
                        *o++ = '\r';
                        *o++ = '\n';
                }
        }
        *o = '\0';
        return out;
}

static void fuzz_base64(const uint8_t *data, size_t size)
{
        char *in = fuzz_copy(data, size), *out = NULL, *enc;
        uint8_t *ref = malloc(size / 4 * 3 + 3);
        size_t out_len = 0, ref_len = 0;
        bool ref_ok = ref_b64_decode(data, size, ref, &ref_len);
        int r;

        r = provider_base64_decode(in, size, &out, &out_len);
        FUZZ_CHECK(r == 0 || r == -EBADMSG, "provider_base64_decode returned %d", r);
        FUZZ_CHECK((r == 0) == ref_ok, "provider %d, reference %s", r, ref_ok ? "accepts" : "refuses");
        if (r == 0) {
                FUZZ_CHECK(out_len <= size / 4 * 3 && out[out_len] == '\0', "%zu bytes from %zu", out_len, size);
                FUZZ_CHECK(out_len == ref_len && memcmp(out, ref, ref_len) == 0, "differs from the reference");
        }
        free(out);
        out = NULL;

        enc = ref_b64_encode(data, size, size ? data[0] % 20 : 0);
        r = provider_base64_decode(enc, strlen(enc), &out, &out_len);
        FUZZ_CHECK(r == 0 && out_len == size && memcmp(out, data, size) == 0,
                   "decode(encode(%zu bytes)) = %d, %zu bytes", size, r, out_len);
        free(out);
        free(enc);

        /* Two prefix checks on bytes as fetched: only their answer matters,
         * and that they stay inside the buffer. */
        if (provider_looks_like_html(in, size))
                FUZZ_CHECK(memchr(in, '<', size), "HTML without a '<'");
        if (provider_is_cloud_init_data(in, size))
                FUZZ_CHECK(size >= 2 && (in[0] == '#' || in[0] == 'C'), "cloud-init data without its mark");
        free(ref);
        free(in);
}

/* ---------- 2: gzip ---------- */

static char *gzip(const void *p, size_t n, size_t *ret_len)
{
        z_stream z = {};
        size_t cap = n + n / 100 + 1024;
        char *out = malloc(cap);

        if (!out || deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                abort();
        z.next_in = (unsigned char *) p;
        z.avail_in = (unsigned) n;
        z.next_out = (unsigned char *) out;
        z.avail_out = (unsigned) cap;
        if (deflate(&z, Z_FINISH) != Z_STREAM_END)
                abort();
        *ret_len = cap - z.avail_out;
        deflateEnd(&z);
        return out;
}

static int gunzip(const void *p, size_t n, struct fetched_config *f)
{
        f->data = fuzz_copy(p, n);
        f->len = n;
        f->source = (char *) "fuzz";
        return provider_gunzip_if_gzip(f);
}

static void fuzz_gzip(const uint8_t *data, size_t size)
{
        struct fetched_config f = { .data = fuzz_copy(data, size), .len = size, .source = (char *) "fuzz" };
        char *before = f.data, *z;
        size_t zlen;
        int r;

        r = provider_gunzip_if_gzip(&f);
        FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EFBIG, "gunzip returned %d", r);
        if (size < 2 || data[0] != 0x1f || data[1] != 0x8b)
                FUZZ_CHECK(r == 0 && f.data == before && f.len == size, "not gzip, yet changed");
        else if (r == 0)
                FUZZ_CHECK(f.len <= IG_CONFIG_MAX_SIZE && f.data[f.len] == '\0', "%zu bytes decompressed", f.len);
        else
                FUZZ_CHECK(f.data == before && f.len == size, "refused, yet changed");
        free(f.data);

        z = gzip(data, size, &zlen);
        r = gunzip(z, zlen, &f);
        FUZZ_CHECK(r == 0 && f.len == size && memcmp(f.data, data, size) == 0,
                   "gunzip(gzip(%zu bytes)) = %d, %zu bytes", size, r, f.len);
        free(f.data);
        free(z);
}

/* The limit at its exact boundary, once per process: a config of exactly
 * the maximum size is taken, one byte more is not. */
static void check_gzip_limit(void)
{
        struct fetched_config f = {};
        char *big = calloc(IG_CONFIG_MAX_SIZE + 1, 1), *z;
        size_t zlen;
        int r;

        if (!big)
                abort();
        z = gzip(big, IG_CONFIG_MAX_SIZE, &zlen);
        r = gunzip(z, zlen, &f);
        FUZZ_CHECK(r == 0 && f.len == IG_CONFIG_MAX_SIZE, "a gzip'd config of exactly the limit: %d", r);
        free(f.data);
        free(z);
        z = gzip(big, IG_CONFIG_MAX_SIZE + 1, &zlen);
        r = gunzip(z, zlen, &f);
        FUZZ_CHECK(r == -EFBIG, "a gzip'd config one byte over the limit: %d", r);
        free(f.data);
        free(z);
        free(big);
}

/* ---------- 3: noProxy ---------- */

static bool wanted1(const char *entry, const char *host, unsigned port)
{
        char *v[] = { (char *) entry };
        struct ig_strv l = { .v = v, .n = 1 };

        return proxy_wanted(&l, host, port);
}

/* A host name (not an IP address, which an entry matches only exactly). */
static bool plain_name(const char *h)
{
        unsigned char a[16];

        if (inet_pton(AF_INET, h, a) == 1)
                return false;
        /* Not ".x": an entry starting with a dot means subdomains only. */
        if (!isalnum((unsigned char) *h))
                return false;
        for (; *h; h++)
                if (!isalnum((unsigned char) *h) && *h != '-' && *h != '.')
                        return false;
        return true;
}

/* Input: host, port, then noProxy entries, separated by newlines. */
static void fuzz_no_proxy(const uint8_t *data, size_t size)
{
        char *text = fuzz_cstring(data, size), *save = NULL, *host, *port_s, *tok;
        struct ig_strv l = {};
        unsigned port;
        bool all, expect;

        host = strtok_r(text, "\n", &save);
        port_s = host ? strtok_r(NULL, "\n", &save) : NULL;
        if (!host || !port_s) {
                free(text);
                return;
        }
        port = (unsigned) strtoul(port_s, NULL, 10);
        while ((tok = strtok_r(NULL, "\n", &save))) {
                l.v = realloc(l.v, (l.n + 1) * sizeof(char *));
                l.v[l.n++] = tok;
        }

        all = proxy_wanted(&l, host, port);
        /* localhost and loopback addresses never go through the proxy. */
        expect = proxy_wanted(&(struct ig_strv) {}, host, port);
        /* The list bypasses the proxy when one of its entries does, and an
         * entry with commas when one of its parts does. */
        for (size_t i = 0; i < l.n; i++) {
                char *copy = strdup(l.v[i]), *p = copy, *comma;
                bool parts = true, one = wanted1(l.v[i], host, port);

                do {
                        comma = strchr(p, ',');
                        if (comma)
                                *comma = '\0';
                        parts = parts && wanted1(p, host, port);
                        if (comma)
                                p = comma + 1;
                } while (comma);
                FUZZ_CHECK(one == parts, "entry \"%s\": %d, its parts: %d", l.v[i], one, parts);
                expect = expect && one;
                free(copy);
        }
        FUZZ_CHECK(all == expect, "the list says %d, its entries %d", all, expect);
        FUZZ_CHECK(!wanted1("*", host, port) || !*host, "\"*\" does not bypass %s", host);

        if (plain_name(host)) {
                char *sub = xasprintf("x.%s", host), *dot = xasprintf(".%s", host), *upper = strdup(host);

                for (char *p = upper; *p; p++)
                        *p = (char) toupper((unsigned char) *p);
                FUZZ_CHECK(!wanted1(host, host, port), "\"%s\" does not bypass itself", host);
                FUZZ_CHECK(!wanted1(upper, host, port), "\"%s\" does not bypass %s", upper, host);
                FUZZ_CHECK(!wanted1(host, sub, port), "\"%s\" does not bypass its subdomain", host);
                FUZZ_CHECK(!wanted1(dot, sub, port), "\"%s\" does not bypass a subdomain", dot);
                FUZZ_CHECK(wanted1(sub, host, port) || strcasecmp(host, "localhost") == 0 ||
                           strncmp(host, "127.", 4) == 0, "\"%s\" bypasses its parent", sub);
                FUZZ_CHECK(proxy_wanted(&l, upper, port) == all, "the host's case changes the answer");
                free(sub);
                free(dot);
                free(upper);
        }
        free(l.v);
        free(text);
}

/* ---------- 4: URLs in messages ---------- */

/* Input: scheme, userinfo, host and path, query, fragment, separated by
 * NUL bytes; each stripped of what would end it early. The message must be
 * exactly scheme://host/path whatever the userinfo holds ('@' and ':'
 * included). Then the input as one URL: no '?', '#' or '@' of its
 * authority in the message. */
static char *field(const uint8_t **p, const uint8_t *end, const char *drop)
{
        size_t n = 0, cap = (size_t) (end - *p) + 1;
        char *s = malloc(cap);

        while (*p < end && **p) {
                if (!strchr(drop, **p))
                        s[n++] = (char) **p;
                (*p)++;
        }
        if (*p < end)
                (*p)++;
        s[n] = '\0';
        return s;
}

static void fuzz_url_message(const uint8_t *data, size_t size)
{
        const uint8_t *p = data, *end = data + size;
        char *scheme = field(&p, end, ":/?#@"), *user = field(&p, end, "/?#"), *host = field(&p, end, "@/?#");
        char *path = field(&p, end, "?#"), *query = field(&p, end, ""), *frag = field(&p, end, "");
        char *url, *shown, *want, *raw, *auth;

        if (!*scheme) {
                free(scheme);
                scheme = strdup("https");
        }
        url = xasprintf("%s://%s@%s/%s?%s#%s", scheme, user, host, path, query, frag);
        want = xasprintf("%s://%s/%s", scheme, host, path);
        shown = url_for_message(url);
        FUZZ_CHECK(strcmp(shown, want) == 0, "\"%s\" shown as \"%s\"", url, shown);
        free(shown);

        raw = fuzz_cstring(data, size);
        shown = url_for_message(raw);
        FUZZ_CHECK(strlen(shown) <= strlen(raw) && !strpbrk(shown, "?#"), "\"%s\" shown as \"%s\"", raw, shown);
        auth = strstr(shown, "://");
        if (auth && (size_t) (auth - shown) < strcspn(raw, "?#"))
                FUZZ_CHECK(!memchr(auth + 3, '@', strcspn(auth + 3, "/")), "\"%s\" shown as \"%s\"", raw, shown);
        free(shown);

        free(raw);
        free(url);
        free(want);
        free(scheme);
        free(user);
        free(host);
        free(path);
        free(query);
        free(frag);
}

/* ---------- 5: response headers ---------- */

static void fuzz_headers(const uint8_t *data, size_t size)
{
        struct http_response resp = {};
        char reason[128] = "";
        size_t i = 0;

        /* The lines as libcurl hands them over, each with its line end. */
        while (i < size) {
                const uint8_t *nl = memchr(data + i, '\n', size - i);
                size_t n = nl ? (size_t) (nl - (data + i)) + 1 : size - i;
                char *line = fuzz_copy(data + i, n);
                enum http_line t = http_header_line(&resp, reason, sizeof(reason), line, n);

                if (t == HTTP_LINE_STATUS)
                        FUZZ_CHECK(resp.n_headers == 0, "a status line kept %zu headers", resp.n_headers);
                free(line);
                i += n;
        }
        FUZZ_CHECK(resp.n_headers <= HTTP_MAX_HEADERS, "%zu headers", resp.n_headers);
        FUZZ_CHECK(strlen(reason) < sizeof(reason), "reason phrase overflows");
        for (const char *p = reason; *p; p++)
                FUZZ_CHECK((unsigned char) *p >= 0x20 && *p != 0x7f, "a control character in the reason phrase");

        for (size_t k = 0; k < resp.n_headers; k++) {
                const char *h = resp.headers[k], *colon = strchr(h, ':'), *v, *vu;
                char *name, *upper;
                size_t first = k;

                FUZZ_CHECK(colon, "header \"%s\" without a colon", h);
                name = xstrndup(h, (size_t) (colon - h));
                upper = strdup(name);
                for (char *p = name; *p; p++)
                        FUZZ_CHECK((unsigned char) *p == tolower((unsigned char) *p), "header name \"%s\" not lower case", name);
                for (char *p = upper; *p; p++)
                        *p = (char) toupper((unsigned char) *p);
                /* The first header of that name answers, its value without
                 * leading blanks, whatever the case asked. */
                for (size_t j = 0; j < k; j++)
                        if (strncmp(resp.headers[j], name, strlen(name)) == 0 &&
                            resp.headers[j][strlen(name)] == ':') {
                                first = j;
                                break;
                        }
                v = http_response_header(&resp, name);
                vu = http_response_header(&resp, upper);
                FUZZ_CHECK(v && v == vu && v > resp.headers[first] && v <= resp.headers[first] + strlen(resp.headers[first]),
                           "header \"%s\" looked up wrongly", name);
                FUZZ_CHECK(*v != ' ' && *v != '\t', "value of \"%s\" with a leading blank", name);
                free(name);
                free(upper);
        }
        /* What GCP and S3 ask for. */
        (void) http_response_header(&resp, "metadata-flavor");
        (void) http_response_header(&resp, "x-amz-bucket-region");
        http_response_free(&resp);
}

/* ---------- 6: DHCP leases ---------- */

/* Made and removed around each input (libFuzzer does not always run
 * atexit handlers); named once per process: glibc's setenv() never frees
 * the old value, and a leak in every run would make LeakSanitizer scan
 * after each one. */
static char lease_dir[64];

static void write_lease(const char *name, const uint8_t *data, size_t size)
{
        char *p = xasprintf("%s/%s", lease_dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || (size && write(fd, data, size) != (ssize_t) size) || close(fd) < 0)
                abort();
        free(p);
}

static bool has_line(const char *text, size_t len, const char *key, const char *value)
{
        char *want = xasprintf("%s=%s", key, value);
        size_t wl = strlen(want);
        bool found = false;

        for (size_t i = 0; i + wl <= len && !found; i++)
                found = (i == 0 || text[i - 1] == '\n') && memcmp(text + i, want, wl) == 0 &&
                        (i + wl == len || text[i + wl] == '\n' || text[i + wl] == '\0');
        free(want);
        return found;
}

/* Input: the lease of interface 2, a NUL, the lease of interface 10. */
static void fuzz_dhcp_lease(const uint8_t *data, size_t size)
{
        static const char *const keys[] = { "OPTION_245", "SERVER_ADDRESS" };
        const char *key;
        const uint8_t *nul;
        size_t n2;
        char *value = NULL, *file = NULL;
        int r;

        if (size == 0)
                return;
        key = keys[data[0] % 2];
        data++, size--;
        if (!lease_dir[0]) {
                snprintf(lease_dir, sizeof(lease_dir), "/tmp/ignis-fuzz-leases-%d", (int) getpid());
                if (setenv("IGNIS_NETIF_LEASES_DIR", lease_dir, 1) < 0)
                        abort();
        }
        if (mkdir(lease_dir, 0700) < 0 && errno != EEXIST)
                abort();
        nul = memchr(data, '\0', size);
        n2 = nul ? (size_t) (nul - data) : size;
        write_lease("2", data, n2);
        write_lease("10", nul ? nul + 1 : data, nul ? size - n2 - 1 : 0);

        r = dhcp_lease_value(key, &value, &file);
        FUZZ_CHECK(r == 0 || r == -ENOENT, "dhcp_lease_value returned %d", r);
        if (r == 0) {
                bool in2 = has_line((const char *) data, n2, key, value);

                FUZZ_CHECK(*value && !strchr(value, '\n'), "value \"%s\"", value);
                /* Interface 2's lease first (versionsort: 2 before 10). */
                FUZZ_CHECK(in2 ? strlen(file) > 2 && strcmp(file + strlen(file) - 2, "/2") == 0
                               : has_line((const char *) nul + 1, size - n2 - 1, key, value),
                           "%s=%s not in %s", key, value, file);
        }
        free(value);
        free(file);
        file = xasprintf("%s/2", lease_dir);
        unlink(file);
        free(file);
        file = xasprintf("%s/10", lease_dir);
        unlink(file);
        free(file);
        rmdir(lease_dir);
}

/* ---------- 7: VMware guestinfo ---------- */

/* data[0]: faults (bit 0 an old host without cookies, 1-2 checkpoints
 * mid-send, 3-4 mid-receive, 5 the channel refused, 6 the reply cut after
 * data[1] bytes, 7 random corruption seeded by data[1]); data[2]: which of
 * ovfEnv, ignition.config.data, .encoding are set (bits 0-2); the rest:
 * their values, NUL-separated. */
static void fuzz_vmware(const uint8_t *data, size_t size)
{
        static const char *const keys[] = { "ovfEnv", "ignition.config.data", "ignition.config.data.encoding" };
        struct fake f = { .quiet = true };
        struct vmw_transport t = { .call = fake_call, .ctx = &f };
        struct fetched_config out;
        char *rest, *vals[3] = { NULL, NULL, NULL }, *p;
        size_t n = 0;
        int r;

        if (size < 3)
                return;
        f.refuse_cookie = data[0] & 1;
        f.cpt_send = data[0] >> 1 & 3;
        f.cpt_recv = data[0] >> 3 & 3;
        f.refuse_open = data[0] >> 5 & 1;
        f.cut_reply_at = data[0] & 0x40 ? (size_t) data[1] + 1 : 0;
        f.chaos = data[0] & 0x80 ? (unsigned) data[1] + 1 : 0;
        rest = fuzz_copy(data + 3, size - 3);
        rest = realloc(rest, size - 3 + 1);
        rest[size - 3] = '\0';
        /* by hand: strtok would merge empty values */
        p = rest;
        for (size_t i = 0; i < 3; i++) {
                vals[i] = p;
                p += strlen(p);
                if ((size_t) (p - rest) < size - 3)
                        p++;
        }
        for (size_t i = 0; i < 3; i++)
                if (data[2] >> i & 1) {
                        f.keys[n] = keys[i];
                        f.vals[n++] = vals[i];
                }

        r = vmware_fetch_guestinfo(&t, &out);
        FUZZ_CHECK(r <= 0, "vmware_fetch_guestinfo returned %d", r);
        FUZZ_CHECK(r == 0 || !out.data, "an error (%d) with a config", r);
        if (out.data) {
                FUZZ_CHECK(out.len > 0 && out.data[out.len] == '\0', "config of %zu bytes not NUL-terminated",
                           out.len);
                FUZZ_CHECK(out.source && strncmp(out.source, "VMware guestinfo.", 17) == 0, "source %s",
                           out.source ? out.source : "(none)");
        }
        FUZZ_CHECK(f.opens_seen == f.close_calls, "%u channels opened, %u closed", f.opens_seen, f.close_calls);
        /* A well-behaved host with plain data set directly: exactly it. */
        if (!(data[0] & 0xe0) && (data[2] & 2) && !(data[2] & 4) && !(data[2] & 1) && *vals[1] &&
            strlen(vals[1]) + 2 < sizeof(f.reply))
                FUZZ_CHECK(r == 0 && out.data && strcmp(out.data, vals[1]) == 0, "plain data not returned as is");
        /* (fetched_config_free() lives with the providers the harness does not link) */
        free(out.data);
        free(out.source);
        free(rest);
}

/* ---------- 8: VirtualBox guest properties ---------- */

/* data[0]: faults (bit 0: the driver refuses the ioctl of number data[1] %
 * 8 after data[1] >> 3 & 3 of them went through; bit 1: the host refuses
 * the connection; bit 2: the disconnection; bit 3: delete-config instead,
 * against properties that are read-only for the guest when bit 4 is set);
 * the rest: the host's answers to GET_PROP (vbox-fake-host.h's script). */
static void fuzz_virtualbox(const uint8_t *data, size_t size)
{
        struct vbox_fake f = { .quiet = true };
        struct vbox_transport t = { .ioctl = vbox_fake_ioctl, .ctx = &f };
        struct fetched_config out;
        int r;

        if (size < 2)
                return;
        f.fail = data[0] & 1;
        f.fail_nr = data[1] % 8;
        f.fail_skip = data[1] >> 3 & 3;
        f.fail_errno = EIO;
        f.connect_rc = data[0] & 2 ? VERR_PERMISSION_DENIED : VINF_SUCCESS;
        f.disconnect_fails = data[0] & 4;
        f.script = data + 2;
        f.script_len = size - 2;

        if (data[0] & 8) {
                f.names[0] = "/Ignition/Config";
                f.values[0] = (const char *) "";
                f.flags[0] = data[0] & 16 ? "RDONLYGUEST" : "";
                r = virtualbox_delete_properties(&t, "/dev/vboxguest");
                FUZZ_CHECK(r <= 0, "virtualbox_delete_properties returned %d", r);
                FUZZ_CHECK(f.violations == 0, "the client broke the driver's rules %u times", f.violations);
                FUZZ_CHECK(r < 0 || strcmp(f.names[0], "(deleted)") == 0, "success without deleting the config");
                FUZZ_CHECK(!(data[0] & 16) || r < 0, "a read-only config deleted");
                return;
        }

        r = virtualbox_fetch_properties(&t, "/dev/vboxguest", &out);
        FUZZ_CHECK(r <= 0, "virtualbox_fetch_properties returned %d", r);
        FUZZ_CHECK(r == 0 || !out.data, "an error (%d) with a config", r);
        FUZZ_CHECK(f.violations == 0, "the client broke the driver's rules %u times", f.violations);
        /* the session is always ended, unless the driver refused that */
        FUZZ_CHECK(f.client == 0 || (f.fail && f.fail_nr == _IOC_NR(VBG_IOCTL_HGCM_DISCONNECT)),
                   "the connection was left open");
        if (out.data) {
                FUZZ_CHECK(out.len > 0 && out.data[out.len] == '\0' && strlen(out.data) == out.len,
                           "config of %zu bytes not one NUL-terminated string", out.len);
                FUZZ_CHECK(out.len <= IG_CONFIG_MAX_SIZE, "config of %zu bytes", out.len);
                FUZZ_CHECK(out.source && strcmp(out.source, "VirtualBox guest property /Ignition/Config") == 0,
                           "source %s", out.source ? out.source : "(none)");
        }
        /* no answers scripted, no faults: no properties, no config */
        if (size == 2 && !(data[0] & 7))
                FUZZ_CHECK(r == 0 && !out.data, "no properties: r=%d", r);
        free(out.data);
        free(out.source);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static bool once;

        if (!once) {
                once = true;
                check_gzip_limit();
        }
        if (size == 0)
                return 0;
        switch (data[0] % N_TARGETS) {
        case 0: fuzz_xml(data + 1, size - 1); break;
        case 1: fuzz_base64(data + 1, size - 1); break;
        case 2: fuzz_gzip(data + 1, size - 1); break;
        case 3: fuzz_no_proxy(data + 1, size - 1); break;
        case 4: fuzz_url_message(data + 1, size - 1); break;
        case 5: fuzz_headers(data + 1, size - 1); break;
        case 6: fuzz_dhcp_lease(data + 1, size - 1); break;
        case 7: fuzz_vmware(data + 1, size - 1); break;
        case 8: fuzz_virtualbox(data + 1, size - 1); break;
        }
        return 0;
}
