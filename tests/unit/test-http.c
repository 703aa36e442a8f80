/* SPDX-License-Identifier: Apache-2.0 */
/* http_fetch() against tests/fetch/server.py on 127.0.0.1: statuses,
 * retries, timeouts, stalls, truncation, redirects, headers, methods,
 * limits, proxies, a caller's own connected socket (http_connector); and
 * the noProxy matcher on its own.
 * Usage: test-http PATH/TO/server.py [PYTHON] */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ignis/config.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "../../src/fetch/fetch-internal.h"
#include "tap.h"

struct server {
        pid_t pid;
        int in;         /* closing it stops the server */
        int port;
};

static const char *python = "/usr/bin/python3";

static int server_start(const char *script, const char *const *extra, struct server *s)
{
        int in[2], out[2];
        char buf[32] = "";
        ssize_t n;

        fflush(stdout);
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
                return -errno;
        s->pid = fork();
        if (s->pid < 0)
                return -errno;
        if (s->pid == 0) {
                const char *argv[16] = { python, script };
                size_t k = 2;
                for (size_t i = 0; extra && extra[i] && k < 15; i++)
                        argv[k++] = extra[i];
                dup2(in[0], 0);
                dup2(out[1], 1);
                execv(python, (char **) argv);
                _exit(127);
        }
        close(in[0]);
        close(out[1]);
        s->in = in[1];
        /* Up to the newline: a read may return the digits alone. */
        for (size_t got = 0; got < sizeof(buf) - 1 && !strchr(buf, '\n'); got += (size_t) n) {
                n = read(out[0], buf + got, sizeof(buf) - 1 - got);
                if (n <= 0) {
                        close(out[0]);
                        return -EIO;
                }
        }
        close(out[0]);
        s->port = atoi(buf);
        return s->port > 0 ? 0 : -EIO;
}

static void server_stop(struct server *s)
{
        close(s->in);
        waitpid(s->pid, NULL, 0);
}

static char *url(const struct server *s, const char *path)
{
        return xasprintf("http://127.0.0.1:%d%s", s->port, path);
}

static int get(const struct fetch_settings *st, const struct server *s, const char *path, char **body, long *status)
{
        char *u = url(s, path);
        struct http_request req = { .url = u, .what = "test" };
        struct http_response resp = {};
        size_t len;
        int r;

        *body = NULL;
        r = http_fetch_memory(st, &req, 1 << 20, body, &len, &resp);
        if (status)
                *status = resp.status;
        http_response_free(&resp);
        free(u);
        return r;
}

static double seconds_since(const struct timespec *t0)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) (t.tv_sec - t0->tv_sec) + (double) (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_proxy_matcher(void)
{
        static const struct {
                const char *no_proxy, *host;
                unsigned port;
                bool proxied;
        } cases[] = {
                { "", "example.com", 80, true },
                { "", "localhost", 80, false },
                { "", "127.0.0.5", 80, false },
                { "", "::1", 80, false },
                { "*", "example.com", 80, false },
                { "example.com", "example.com", 80, false },
                { "example.com", "www.example.com", 443, false },
                { "example.com", "notexample.com", 80, true },
                { ".example.com", "example.com", 80, true },
                { ".example.com", "a.b.example.com", 80, false },
                { "*.example.com", "example.com", 80, true },
                { "*.example.com", "www.example.com", 80, false },
                { "example.com:8080", "example.com", 8080, false },
                { "example.com:8080", "example.com", 80, true },
                { "10.0.0.0/8", "10.1.2.3", 80, false },
                { "10.0.0.0/8", "11.1.2.3", 80, true },
                { "10.0.0.0/8", "ten.example", 80, true },
                { "192.168.1.1", "192.168.1.1", 443, false },
                { "192.168.1.1", "192.168.1.2", 443, true },
                { "192.168.1.1:443", "192.168.1.1", 80, true },
                { "fd00::/8", "fd12::1", 80, false },
                { "fd00::/8", "fe80::1", 80, true },
                { "[fd00::1]:80", "fd00::1", 80, false },
                { "a.com, b.com", "x.b.com", 80, false },
                { " B.COM ", "b.com", 80, false },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *entry = (char *) cases[i].no_proxy;
                struct ig_strv v = { .v = &entry, .n = 1 };
                bool got = proxy_wanted(&v, cases[i].host, cases[i].port);
                tap_ok(got == cases[i].proxied, "noProxy \"%s\": %s:%u %s", cases[i].no_proxy, cases[i].host,
                       cases[i].port, cases[i].proxied ? "proxied" : "direct");
        }
}

struct count_sink {
        size_t bytes, restarts;
};

static int count_write(void *u, const void *d, size_t l)
{
        ((struct count_sink *) u)->bytes += l;
        return 0;
}

static int count_restart(void *u)
{
        ((struct count_sink *) u)->bytes = 0;
        ((struct count_sink *) u)->restarts++;
        return 0;
}

static void test_file_urls(void)
{
        char path[] = "/tmp/ignis-test-http-XXXXXX";
        struct ig_resource res = {};
        char *body = NULL, *u;
        size_t len;
        int fd, r;

        fd = mkstemp(path);
        if (fd < 0 || write(fd, "local bytes\n", 12) != 12) {
                tap_ok(0, "cannot make a scratch file");
                return;
        }
        close(fd);
        u = xasprintf("file://%s", path);
        res.source = u;
        r = fetch_to_memory(&res, "t", 1024, &body, &len);
        tap_ok(r == 0 && len == 12 && strcmp(body, "local bytes\n") == 0, "file:///path is read");
        free(body);
        tap_ok(fetch_is_local(&res), "file: URLs need no network");
        free(u);
        u = xasprintf("file://localhost%s", path);
        res.source = u;
        r = fetch_to_memory(&res, "t", 1024, &body, &len);
        tap_ok(r == 0 && len == 12, "file://localhost/path is read");
        free(body);
        free(u);
        res.source = (char *) "file:///nonexistent/ignis-test";
        tap_ok(fetch_to_memory(&res, "t", 1024, &body, &len) == -ENOENT, "a missing file is -ENOENT");
        res.source = (char *) "file://otherhost/etc/hostname";
        tap_ok(fetch_to_memory(&res, "t", 1024, &body, &len) == -EINVAL, "a file: URL with a host is refused");
        res.source = (char *) "file:///etc/hostname?x=1";
        tap_ok(fetch_to_memory(&res, "t", 1024, &body, &len) == -EINVAL, "a file: URL with a query is refused");
        unlink(path);
}

static void test_needs_network(void)
{
        static const struct {
                const char *json;
                bool needs;
        } cases[] = {
                { "{\"ignition\":{\"version\":\"3.4.0\"}}", false },
                { "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":\"/a\","
                  "\"contents\":{\"source\":\"data:,x\"}}]}}", false },
                { "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":\"/a\","
                  "\"contents\":{\"source\":\"https://h/x\"}}]}}", true },
                { "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":\"/a\","
                  "\"append\":[{\"source\":\"tftp://h/x\"}]}]}}", true },
                { "{\"ignition\":{\"version\":\"3.4.0\",\"config\":{\"merge\":[{\"source\":\"s3://b/k\"}]}}}",
                  true },
                { "{\"ignition\":{\"version\":\"3.4.0\",\"config\":{\"replace\":{\"source\":\"gs://b/k\"}}}}",
                  true },
                { "{\"ignition\":{\"version\":\"3.4.0\",\"security\":{\"tls\":{\"certificateAuthorities\":"
                  "[{\"source\":\"http://h/ca.pem\"}]}}}}", true },
                { "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"luks\":[{\"name\":\"l\","
                  "\"device\":\"/dev/vdb\",\"keyFile\":{\"source\":\"http://h/key\"}}]}}", true },
                { "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"luks\":[{\"name\":\"l\","
                  "\"device\":\"/dev/vdb\",\"clevis\":{\"tang\":[{\"url\":\"http://t\",\"thumbprint\":\"x\"}]}}]}}",
                  true },
                { "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"luks\":[{\"name\":\"l\","
                  "\"device\":\"/dev/vdb\",\"clevis\":{\"tang\":[{\"url\":\"http://t\",\"thumbprint\":\"x\","
                  "\"advertisement\":\"{\\\"payload\\\":\\\"x\\\"}\"}]}}]}}", false },
                { "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"luks\":[{\"name\":\"l\","
                  "\"device\":\"/dev/vdb\",\"clevis\":{\"custom\":{\"pin\":\"sss\",\"config\":\"{}\","
                  "\"needsNetwork\":true}}}]}}", true },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct ig_config c;
                int r = ig_config_load_report(cases[i].json, strlen(cases[i].json), NULL, "t", &c);
                tap_ok(r == 0 && config_needs_network(&c) == cases[i].needs, "config_needs_network case %zu: %s", i,
                       cases[i].needs ? "needs" : "local");
                ig_config_free(&c);
        }
}

static void test_url_for_message(void)
{
        static const struct {
                const char *url, *shown;
        } cases[] = {
                { "https://user:secret@example.com/c.ign?X-Amz-Signature=s#f", "https://example.com/c.ign" },
                /* A raw '@' in the password: the message keeps none of it. */
                { "https://user:pa@ss@example.com:8443/c.ign", "https://example.com:8443/c.ign" },
                { "http://example.com/a@b/c.ign", "http://example.com/a@b/c.ign" },
                { "s3://bucket/key?versionId=1", "s3://bucket/key" },
                { "data:,x?y", "data:,x" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *shown = url_for_message(cases[i].url);
                tap_ok(strcmp(shown, cases[i].shown) == 0, "url_for_message(%s) = %s", cases[i].shown, shown);
                free(shown);
        }
}

static void test_header_lines(void)
{
        static const char *const lines[] = { "HTTP/1.1 100 Continue\r\n", "X-Old: 1\r\n", "\r\n",
                                             "HTTP/1.1 502 Bad\x1b[2J\rGateway\r\n", "Metadata-Flavor:  Google\r\n",
                                             "x-amz-bucket-region:\teu-west-1\r\n", "folded line\r\n" };
        struct http_response resp = {};
        char reason[128];
        enum http_line t;

        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
                http_header_line(&resp, reason, sizeof(reason), lines[i], strlen(lines[i]));
        tap_ok(!http_response_header(&resp, "x-old"), "a new status line drops the headers before it");
        tap_ok(strcmp(reason, "Bad?[2J?Gateway") == 0, "the reason phrase is printable (%s)", reason);
        tap_ok(resp.n_headers == 2 && strcmp(http_response_header(&resp, "METADATA-FLAVOR"), "Google") == 0 &&
               strcmp(http_response_header(&resp, "x-amz-bucket-region"), "eu-west-1") == 0,
               "headers are found by name, whatever the case, values without leading blanks");
        t = http_header_line(&resp, reason, sizeof(reason), "Meta\0data-Flavor: Google\r\n",
                             sizeof("Meta\0data-Flavor: Google\r\n") - 1);
        tap_ok(t == HTTP_LINE_HEADER && resp.n_headers == 2, "a header line with a NUL is dropped");
        tap_ok(http_header_line(&resp, reason, sizeof(reason), "\r\n", 2) == HTTP_LINE_END, "a blank line ends the block");
        http_response_free(&resp);
}

/* A connector to the test server on 127.0.0.1; fail_first connects fail
 * first with ECONNREFUSED, permanent ones with EAFNOSUPPORT. */
struct conn_test {
        int port;
        unsigned calls, fail_first;
        bool permanent;
};

static int conn_test_connect(void *userdata, bool *permanent, char *why, size_t why_len)
{
        struct conn_test *c = userdata;
        struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t) c->port),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int fd;

        c->calls++;
        if (c->permanent) {
                *permanent = true;
                snprintf(why, why_len, "test: no such address family");
                return -EAFNOSUPPORT;
        }
        if (c->calls <= c->fail_first) {
                snprintf(why, why_len, "test: refused");
                return -ECONNREFUSED;
        }
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

static void test_connector(const struct fetch_settings *st, int port)
{
        struct conn_test c = { .port = port };
        struct http_connector conn = { conn_test_connect, &c };
        struct http_request req = { .url = "http://ignis.test/hello", .what = "t", .connector = &conn, .budget_s = 10 };
        struct fetch_settings off = *st;
        char *body = NULL;
        size_t len;
        int r;

        /* The host is never looked up: ignis.test does not exist. */
        r = http_fetch_memory(st, &req, 64, &body, &len, NULL);
        tap_ok(r == 0 && body && strcmp(body, "hello\n") == 0 && c.calls == 1,
               "connector: the request goes over the caller's socket (%d, %u calls)", r, c.calls);
        free(body);
        body = NULL;
        r = http_fetch_memory(st, &req, 64, &body, &len, NULL);
        tap_ok(r == 0 && c.calls == 2, "connector: a new fetch asks for a new socket (no reuse)");
        free(body);
        body = NULL;

        off.offline = true;
        r = http_fetch_memory(&off, &req, 64, &body, &len, NULL);
        tap_ok(r == 0 && body && strcmp(body, "hello\n") == 0, "connector: offline settings do not refuse it (%d)", r);
        free(body);
        body = NULL;

        c = (struct conn_test) { .port = port, .fail_first = 2 };
        r = http_fetch_memory(st, &req, 64, &body, &len, NULL);
        tap_ok(r == 0 && c.calls == 3, "connector: refused twice, retried, then the body (%d, %u calls)", r, c.calls);
        free(body);
        body = NULL;

        c = (struct conn_test) { .port = port, .permanent = true };
        r = http_fetch_memory(st, &req, 64, &body, &len, NULL);
        tap_ok(r == -EAFNOSUPPORT && !body && c.calls == 1,
               "connector: a permanent failure is not retried (%d, %u calls)", r, c.calls);

        c = (struct conn_test) { .port = port };
        req.url = "http://ignis.test/flaky/conn/1";
        r = http_fetch_memory(st, &req, 64, &body, &len, NULL);
        tap_ok(r == 0 && c.calls == 2, "connector: a 500 is retried over a new socket (%d, %u calls)", r, c.calls);
        free(body);
}

int main(int argc, char **argv)
{
        struct fetch_settings st = { .response_headers_timeout_s = 10 };
        struct server s, px, refuse;
        struct timespec t0;
        char *body = NULL, *u, *u2;
        long status = 0;
        size_t len;
        int r;

        if (argc != 2 && argc != 3) {
                fprintf(stderr, "usage: %s SERVER.py [PYTHON]\n", argv[0]);
                return 2;
        }
        if (argc == 3)
                python = argv[2];
        test_proxy_matcher();
        test_url_for_message();
        test_header_lines();
        test_file_urls();
        test_needs_network();

        if (server_start(argv[1], NULL, &s) < 0) {
                tap_ok(0, "cannot start the test server");
                return tap_done();
        }

        r = get(&st, &s, "/hello", &body, &status);
        tap_ok(r == 0 && status == 200 && body && strcmp(body, "hello\n") == 0, "GET 200 into memory");
        free(body);

        r = get(&st, &s, "/status/404", &body, &status);
        tap_ok(r == -ENOENT && status == 404 && !body, "404 is -ENOENT");
        r = get(&st, &s, "/status/403", &body, &status);
        tap_ok(r == -EPROTO && status == 403, "403 is refused at once (%d)", r);
        r = get(&st, &s, "/status/204", &body, &status);
        tap_ok(r == 0 && status == 204 && body && !*body, "204 is success with an empty body");
        free(body);

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = get(&st, &s, "/flaky/a/2", &body, &status);
        tap_ok(r == 0 && status == 200 && body && strcmp(body, "ok\n") == 0 && seconds_since(&t0) >= 0.55,
               "500, 500, then 200: retried with 200+400 ms backoff");
        free(body);

        {
                struct fetch_settings t = st;
                t.total_timeout_s = 2;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = get(&t, &s, "/flaky/b/1000", &body, &status);
                tap_ok(r == -ETIMEDOUT && status == 500 && seconds_since(&t0) < 4,
                       "always 500: gives up at the total timeout (%d)", r);
        }
        {
                struct fetch_settings t = st;
                t.response_headers_timeout_s = 1;
                t.total_timeout_s = 3;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = get(&t, &s, "/stall-headers", &body, &status);
                tap_ok(r == -ETIMEDOUT && seconds_since(&t0) >= 2 && seconds_since(&t0) < 5,
                       "no headers: each attempt times out, then the total (%d, %.1fs)", r, seconds_since(&t0));
        }
        {
                struct fetch_settings t = st;
                t.response_headers_timeout_s = 1;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = get(&t, &s, "/stall-body", &body, &status);
                tap_ok(r == -ETIMEDOUT && !body && seconds_since(&t0) < 10,
                       "a body that stalls after the headers fails after a few attempts (%d, %.1fs)", r,
                       seconds_since(&t0));
        }
        {
                struct count_sink c = {};
                struct http_sink sink = { count_write, count_restart, &c };
                u = url(&s, "/truncate");
                r = http_fetch(&st, &(struct http_request) { .url = u, .what = "test" }, &sink, NULL);
                tap_ok(r < 0 && c.restarts >= 1, "truncated body: restarted, then failed (%d, %zu restarts)", r,
                       c.restarts);
                free(u);
        }
        {
                struct count_sink c = {};
                struct http_sink sink = { count_write, NULL, &c };
                u = url(&s, "/truncate");
                r = http_fetch(&st, &(struct http_request) { .url = u, .what = "test" }, &sink, NULL);
                tap_ok(r < 0 && c.restarts == 0 && c.bytes == 100, "a sink that cannot restart: no retry");
                free(u);
        }

        r = get(&st, &s, "/redirect/3", &body, &status);
        tap_ok(r == 0 && body && strcmp(body, "redirected\n") == 0, "a chain of 3 redirects is followed");
        free(body);
        r = get(&st, &s, "/redirect/11", &body, &status);
        tap_ok(r == -ELOOP, "11 redirects are too many (%d)", r);
        r = get(&st, &s, "/loop", &body, &status);
        tap_ok(r == -ELOOP, "a redirect loop stops (%d)", r);

        /* The config's headers reach the first host, not a redirect target. */
        {
                struct ig_http_header hh[] = { { .name = "X-Token", .value = "tok" },
                                               { .name = "User-Agent", .value = "custom/1" },
                                               { .name = "X-Unset", .value = NULL } };
                const char *extra[] = { "X-Caller: yes", NULL };
                struct http_request req = { .what = "test", .config_headers = hh, .n_config_headers = 3,
                                            .headers = extra };
                struct http_response resp = {};

                u = url(&s, "/echo-headers");
                req.url = u;
                r = http_fetch_memory(&st, &req, 1 << 16, &body, &len, &resp);
                tap_ok(r == 0 && strstr(body, "\"X-Token\": \"tok\"") && strstr(body, "\"User-Agent\": \"custom/1\"") &&
                               strstr(body, "\"Accept-Encoding\": \"identity\"") && strstr(body, "X-Caller") &&
                               strstr(body, "vnd.coreos.ignition+json") && !strstr(body, "X-Unset"),
                       "config headers sent, overriding the defaults");
                tap_ok(http_response_header(&resp, "content-type") &&
                               strcmp(http_response_header(&resp, "Content-Type"), "application/json") == 0,
                       "response headers captured, looked up case-insensitively");
                free(body);
                http_response_free(&resp);
                free(u);

                u2 = xasprintf("/redirect-to?u=http://127.0.0.1:%d/echo-headers", s.port);
                u = url(&s, u2);
                req.url = u;
                r = http_fetch_memory(&st, &req, 1 << 16, &body, &len, NULL);
                tap_ok(r == 0 && !strstr(body, "X-Token") && !strstr(body, "X-Caller") &&
                               strstr(body, "ignis/"),
                       "after a redirect only the default headers are sent");
                free(body);
                free(u);
                free(u2);
        }

        {
                static const char payload[] = "put-body";
                struct http_response resp = {};
                u = url(&s, "/echo-body");
                r = http_fetch_memory(&st, &(struct http_request) { .method = "PUT", .url = u, .what = "t",
                                                                    .body = payload, .body_len = 8 },
                                      64, &body, &len, &resp);
                tap_ok(r == 0 && len == 8 && memcmp(body, payload, 8) == 0 &&
                               strcmp(http_response_header(&resp, "x-method") ?: "", "PUT") == 0,
                       "PUT with a body");
                free(body);
                http_response_free(&resp);
                r = http_fetch_memory(&st, &(struct http_request) { .method = "POST", .url = u, .what = "t" }, 64,
                                      &body, &len, &resp);
                tap_ok(r == 0 && len == 0 && strcmp(http_response_header(&resp, "x-method") ?: "", "POST") == 0,
                       "POST without a body");
                free(body);
                http_response_free(&resp);
                free(u);
        }

        {
                u = url(&s, "/big/100000");
                body = NULL;
                r = http_fetch_memory(&st, &(struct http_request) { .url = u, .what = "t" }, 99999, &body, &len,
                                      NULL);
                tap_ok(r == -EFBIG && !body, "a body over the limit is refused (%d)", r);
                r = http_fetch_memory(&st, &(struct http_request) { .url = u, .what = "t" }, 100000, &body, &len,
                                      NULL);
                tap_ok(r == 0 && len == 100000 && (unsigned char) body[99999] == (99999 % 256),
                       "a body at the limit is read whole");
                free(body);
                free(u);
        }
        {
                static const long extra[] = { 409 };
                u = url(&s, "/status/409");
                clock_gettime(CLOCK_MONOTONIC, &t0);
                r = http_fetch_memory(&st, &(struct http_request) { .url = u, .what = "t", .retry_statuses = extra,
                                                                    .n_retry_statuses = 1, .budget_s = 1 },
                                      64, &body, &len, NULL);
                tap_ok(r == -ETIMEDOUT && seconds_since(&t0) >= 0.5, "a caller's extra status is retried (%d)", r);
                free(u);
        }
        /* libcurl's SigV4 with a fixed date, checked by tests/fetch/sigv4.py
         * (which reproduces AWS's published examples). */
        {
                const char *date[] = { "X-Amz-Date: 20150830T123600Z", NULL };
                struct http_request req = { .what = "t", .headers = date, .aws_sigv4 = "aws:amz:us-east-1:service",
                                            .aws_credentials = "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
                u = url(&s, "/sigv4-check?Param1=value1&Param2=value2");
                req.url = u;
                body = NULL;
                r = http_fetch_memory(&st, &req, 256, &body, &len, NULL);
                tap_ok(r == 0 && body && strcmp(body, "verified\n") == 0,
                       "SigV4 by libcurl (fixed date, query) verifies independently");
                free(body);
                req.aws_credentials = "AKIDEXAMPLE:wrong-secret";
                r = http_fetch_memory(&st, &req, 256, &body, &len, NULL);
                tap_ok(r == -EPROTO, "a signature with the wrong secret does not (%d)", r);
                req.method = "POST";
                req.body = "{\"a\":1}";
                req.body_len = 7;
                req.aws_credentials = "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
                body = NULL;
                r = http_fetch_memory(&st, &req, 256, &body, &len, NULL);
                tap_ok(r == 0 && body && strcmp(body, "verified\n") == 0, "a signed POST with a body verifies");
                free(body);
                free(u);
        }
        {
                struct fetch_settings t = st;
                t.offline = true;
                r = get(&t, &s, "/hello", &body, &status);
                tap_ok(r == -ENETUNREACH && !body, "offline settings refuse any fetch");
        }

        /* Proxies: a name that is never resolved, answered by the proxy. */
        {
                const char *fwd[] = { "--proxy=forward", NULL }, *ref[] = { "--proxy=refuse", NULL };
                struct fetch_settings t = st;

                if (server_start(argv[1], fwd, &px) < 0 || server_start(argv[1], ref, &refuse) < 0) {
                        tap_ok(0, "cannot start the proxies");
                        return tap_done();
                }
                t.http_proxy = xasprintf("http://127.0.0.1:%d", px.port);
                r = http_fetch_memory(&t, &(struct http_request) { .url = "http://ignis.test/hello", .what = "t" },
                                      64, &body, &len, NULL);
                tap_ok(r == 0 && strcmp(body, "hello\n") == 0, "through a forwarding proxy");
                free(body);
                /* 0.0.0.0 reaches the local server without DNS, and unlike
                 * 127.0.0.1 it is not exempt from the proxy: the proxy's Via
                 * header tells which way the request went. */
                {
                        struct http_response resp = {};
                        char *z = xasprintf("http://0.0.0.0:%d/hello", s.port);
                        char *np = (char *) "0.0.0.0";
                        r = http_fetch_memory(&t, &(struct http_request) { .url = z, .what = "t" }, 64, &body, &len,
                                              &resp);
                        tap_ok(r == 0 && http_response_header(&resp, "via"), "0.0.0.0 goes through the proxy");
                        free(body);
                        http_response_free(&resp);
                        r = http_fetch_memory(&t, &(struct http_request) { .url = z, .what = "t", .direct = true },
                                              64, &body, &len, &resp);
                        tap_ok(r == 0 && !http_response_header(&resp, "via"), "a direct request skips the proxy");
                        free(body);
                        http_response_free(&resp);
                        t.no_proxy = (struct ig_strv) { .v = &np, .n = 1 };
                        r = http_fetch_memory(&t, &(struct http_request) { .url = z, .what = "t" }, 64, &body, &len,
                                              &resp);
                        tap_ok(r == 0 && !http_response_header(&resp, "via"), "noProxy 0.0.0.0: direct");
                        free(body);
                        http_response_free(&resp);
                        free(z);
                        t.no_proxy = (struct ig_strv) {};
                }
                free(t.http_proxy);
                t.http_proxy = xasprintf("http://127.0.0.1:%d", refuse.port);
                r = http_fetch_memory(&t, &(struct http_request) { .url = "http://ignis.test/hello", .what = "t",
                                                                   .budget_s = 5 },
                                      64, &body, &len, NULL);
                tap_ok(r == -EPROTO, "a proxy that refuses: 403 (%d)", r);
                free(t.http_proxy);
                server_stop(&px);
                server_stop(&refuse);
        }

        test_connector(&st, s.port);

        server_stop(&s);
        return tap_done();
}
