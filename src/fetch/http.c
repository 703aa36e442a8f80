/* SPDX-License-Identifier: Apache-2.0 */
/* http_fetch(): one libcurl easy handle per fetch, redirects followed here
 * rather than by libcurl, so that each hop gets its own proxy decision and
 * only the default headers (never the config's, a caller's token or an AWS
 * signature). Attempts are retried with Ignition's backoff within the
 * budget; see include/ignis/http.h for the contract. */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ignis-build.h"
#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "fetch-internal.h"

#define MAX_REDIRECTS 10
#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS 5000
/* A body that fails after it started (truncated, stalled) is fetched again
 * this many times at most, even without a total timeout: a server that
 * always cuts the same file short would otherwise be retried forever. */
#define MAX_BODY_ATTEMPTS 4
/* Stall detection when the config sets no response-header timeout. */
#define DEFAULT_STALL_S 60
#define ERROR_HEADER_MAX 64

#define ACCEPT_CONFIG "application/vnd.coreos.ignition+json;version=3.6.0, */*;q=0.1"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_state;

static void curl_setup(void)
{
        curl_state = dlopen_curl();
        if (curl_state >= 0 && sym_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                curl_state = -EIO;
}

static int curl_ready(void)
{
        pthread_once(&curl_once, curl_setup);
        return curl_state;
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* The state of one attempt, shared with libcurl's callbacks. */
struct attempt {
        CURL *h;
        const struct http_sink *sink;
        struct http_response *resp;
        char reason[128];               /* the status line's reason phrase */
        uint64_t started_ms, header_deadline_ms;
        bool headers_done;              /* the final response's headers arrived */
        bool header_timeout;            /* aborted: no headers in time */
        bool stalled;                   /* aborted: the body stopped arriving */
        uint64_t stall_ms, last_progress_ms;
        curl_off_t last_dlnow;
        bool body_started;              /* bytes reached the sink */
        bool discard;                   /* not a 2xx: the body is not the caller's */
        int sink_error;
        bool is_tftp;
        const struct http_connector *connector;
        bool bridged;                   /* libcurl 7.88: through a socket_bridge */
        struct socket_bridge *bridge;
        int connect_error;              /* the connector's, when it failed */
        bool connect_permanent;
        char connect_why[160];
};

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
        struct attempt *a = userdata;
        size_t len = size * n;

        switch (http_header_line(a->resp, a->reason, sizeof(a->reason), data, len)) {
        case HTTP_LINE_STATUS:
                a->headers_done = false;
                break;
        case HTTP_LINE_END: {
                long code = 0;
                sym_curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &code);
                /* 1xx and a proxy's 200 to CONNECT are followed by another response. */
                if (code >= 200)
                        a->headers_done = true;
                break;
        }
        case HTTP_LINE_HEADER:
                break;
        }
        return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
        struct attempt *a = userdata;
        size_t len = size * n;
        long code = 0;
        int r;

        if (!a->body_started && !a->discard) {
                sym_curl_easy_getinfo(a->h, CURLINFO_RESPONSE_CODE, &code);
                if (!a->is_tftp && (code < 200 || code > 299)) {
                        a->discard = true;
                        return len;
                }
        }
        if (a->discard || len == 0)
                return len;
        a->body_started = true;
        r = a->sink ? a->sink->write(a->sink->userdata, data, len) : 0;
        if (r < 0) {
                a->sink_error = r;
                return 0;       /* makes libcurl stop with CURLE_WRITE_ERROR */
        }
        return len;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
        struct attempt *a = userdata;

        uint64_t now = now_ms();

        /* libcurl has no response-header timeout of its own. */
        if (!a->headers_done && !a->is_tftp) {
                if (a->header_deadline_ms && now > a->header_deadline_ms) {
                        a->header_timeout = true;
                        return 1;
                }
                return 0;
        }
        /* Its LOW_SPEED_* options average over a 5 s window, which makes a
         * stall take seconds longer to notice than asked: measured here. */
        if (dlnow != a->last_dlnow || a->last_progress_ms == 0) {
                a->last_dlnow = dlnow;
                a->last_progress_ms = now;
        } else if (now - a->last_progress_ms > a->stall_ms) {
                a->stalled = true;
                return 1;
        }
        return 0;
}

/* A connector's socket goes to libcurl as if it had connected it itself. */
static curl_socket_t on_opensocket(void *userdata, curlsocktype purpose, struct curl_sockaddr *address)
{
        struct attempt *a = userdata;
        int fd;

        if (purpose != CURLSOCKTYPE_IPCXN)
                return CURL_SOCKET_BAD;
        a->connect_permanent = false;
        a->connect_why[0] = '\0';
        fd = a->connector->connect(a->connector->userdata, &a->connect_permanent, a->connect_why,
                                   sizeof(a->connect_why));
        if (fd < 0) {
                a->connect_error = fd;
                return CURL_SOCKET_BAD;
        }
        if (a->bridged) {
                unsigned len = sizeof(address->addr);
                int local;

                socket_bridge_stop(TAKE_PTR(a->bridge));
                local = socket_bridge_start(fd, &address->addr, &len, &a->bridge);
                if (local < 0) {
                        close(fd);
                        a->connect_error = local;
                        snprintf(a->connect_why, sizeof(a->connect_why), "cannot hand the connection to libcurl: %s",
                                 strerror(-local));
                        return CURL_SOCKET_BAD;
                }
                address->family = AF_UNIX;
                address->protocol = 0;
                address->addrlen = len;
                return local;
        }
        return fd;
}

static int on_sockopt(void *userdata, curl_socket_t fd, curlsocktype purpose)
{
        struct attempt *a = userdata;

        return a->bridged ? CURL_SOCKOPT_OK : CURL_SOCKOPT_ALREADY_CONNECTED;
}

static bool status_in(long status, const long *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (list[i] == status)
                        return true;
        return false;
}

static bool has_header(const struct ig_http_header *h, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (h[i].name && h[i].value && strcasecmp(h[i].name, name) == 0)
                        return true;
        return false;
}

static bool caller_has_header(const char *const *lines, const char *name)
{
        size_t l = strlen(name);

        for (size_t i = 0; lines && lines[i]; i++)
                if (strncasecmp(lines[i], name, l) == 0 && lines[i][l] == ':')
                        return true;
        return false;
}

static struct curl_slist *build_headers(const struct http_request *req, bool first_hop)
{
        static const struct {
                const char *name, *line;
        } defaults[] = {
                { "User-Agent", "User-Agent: ignis/" IGNIS_VERSION },
                { "Accept", "Accept: " ACCEPT_CONFIG },
                /* The hash is over the bytes the server stores. */
                { "Accept-Encoding", "Accept-Encoding: identity" },
                /* Metadata services and S3 answer a PUT/POST at once. */
                { "Expect", "Expect:" },
        };
        struct curl_slist *l = NULL;
        const struct ig_http_header *ch = first_hop ? req->config_headers : NULL;
        size_t nch = first_hop ? req->n_config_headers : 0;

        for (size_t i = 0; i < ELEMENTSOF(defaults); i++) {
                /* libcurl 7.88 signs every header it is handed, the removed
                 * "Expect:" included, and sorts "accept-encoding" before
                 * "accept": S3 would refuse the signature. Signed requests
                 * (GETs of objects) do without them. */
                if (first_hop && req->aws_sigv4 && i > 0)
                        continue;
                if (!has_header(ch, nch, defaults[i].name) &&
                    !(first_hop && caller_has_header(req->headers, defaults[i].name)))
                        l = sym_curl_slist_append(l, defaults[i].line);
        }
        for (size_t i = 0; i < nch; i++) {
                _cleanup_free_ char *line = NULL;
                if (!ch[i].name || !ch[i].value)
                        continue;
                line = xasprintf("%s: %s", ch[i].name, ch[i].value);
                l = sym_curl_slist_append(l, line);
        }
        for (size_t i = 0; first_hop && req->headers && req->headers[i]; i++)
                l = sym_curl_slist_append(l, req->headers[i]);
        return l;
}

/* Not retried: the server or the network will not change its mind. */
static bool curl_error_retryable(CURLcode c)
{
        switch (c) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_HTTP3:
        case CURLE_ABORTED_BY_CALLBACK:
        case CURLE_WEIRD_SERVER_REPLY:
                return true;
        default:
                return false;
        }
}

static bool curl_error_tls(CURLcode c)
{
        return c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE ||
               c == CURLE_SSL_CERTPROBLEM || c == CURLE_SSL_ISSUER_ERROR || c == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

/* The system trust store plus the config's CAs, as one PEM blob: libcurl's
 * CAINFO_BLOB replaces the bundle file with some TLS backends, so the
 * bundle is read here and both are handed over together. */
static char *ca_blob(const struct fetch_settings *s, size_t *len)
{
        _cleanup_free_ char *system = NULL;
        const curl_version_info_data *v = sym_curl_version_info(CURLVERSION_NOW);
        const char *path = v && v->cainfo ? v->cainfo : "/etc/ssl/certs/ca-certificates.crt";
        size_t sl = 0;
        char *blob;

        if (read_full_file(path, 64u << 20, &system, &sl) < 0)
                sl = 0;
        blob = xmalloc(sl + 1 + s->ca_pem_len + 1);
        if (sl)
                memcpy(blob, system, sl);
        blob[sl] = '\n';
        memcpy(blob + sl + 1, s->ca_pem, s->ca_pem_len);
        blob[sl + 1 + s->ca_pem_len] = '\0';
        *len = sl + 1 + s->ca_pem_len;
        return blob;
}

static int set_long(CURL *h, CURLoption o, long v)
{
        return sym_curl_easy_setopt(h, o, v) == CURLE_OK ? 0 : -EINVAL;
}

static int set_ptr(CURL *h, CURLoption o, const void *v)
{
        return sym_curl_easy_setopt(h, o, v) == CURLE_OK ? 0 : -EINVAL;
}

static bool scheme_is(const char *url, const char *scheme)
{
        size_t l = strlen(scheme);
        return strncasecmp(url, scheme, l) == 0 && url[l] == ':';
}

struct fetch_ctx {
        const struct fetch_settings *s;
        const struct http_request *req;
        const char *method;
        char *shown;                    /* the first URL, for messages */
        char *ca;                       /* the CA blob, if the config has CAs */
        size_t ca_len;
        uint64_t deadline_ms;           /* 0: none */
        long header_timeout_s;
};

/* One attempt, following redirects. Returns 0, or a negative errno with
 * *retry saying whether another attempt may succeed and why[] the reason. */
static int attempt_once(struct fetch_ctx *x, CURL *h, const struct http_sink *sink, struct http_response *resp,
                        bool *retry, bool *body_started, char *why, size_t why_len)
{
        _cleanup_free_ char *url = xstrdup(x->req->url);
        const char *method = x->method;
        char errbuf[CURL_ERROR_SIZE];
        int r;

        *retry = false;
        for (unsigned hop = 0;; hop++) {
                struct attempt a = { .h = h, .sink = sink, .resp = resp, .connector = x->req->connector };
                struct curl_slist *hdrs, *connect_to = NULL;
                const char *proxy = x->req->direct || a.connector ? NULL : proxy_for_url(x->s, url);
                uint64_t now = now_ms();
                long code = 0, connect_code = 0;
                char *redirect = NULL;
                CURLcode c;

                a.is_tftp = scheme_is(url, "tftp");
                /* A body that stops arriving for as long as the headers may take. */
                a.stall_ms = (uint64_t) (x->header_timeout_s > 0 ? x->header_timeout_s : DEFAULT_STALL_S) * 1000;
                a.started_ms = now;
                if (x->header_timeout_s > 0)
                        a.header_deadline_ms = now + (uint64_t) x->header_timeout_s * 1000;
                http_response_free(resp);
                errbuf[0] = '\0';

                sym_curl_easy_reset(h);
                hdrs = build_headers(x->req, hop == 0);
                r = set_ptr(h, CURLOPT_URL, url);
                r = r ?: set_ptr(h, CURLOPT_PROTOCOLS_STR, hop == 0 ? "http,https,tftp" : "http,https");
                r = r ?: set_long(h, CURLOPT_NOSIGNAL, 1L);
                r = r ?: set_ptr(h, CURLOPT_ERRORBUFFER, errbuf);
                r = r ?: set_ptr(h, CURLOPT_HTTPHEADER, hdrs);
                r = r ?: set_long(h, CURLOPT_FOLLOWLOCATION, 0L);
                r = r ?: set_long(h, CURLOPT_SSL_VERIFYPEER, 1L);
                r = r ?: set_long(h, CURLOPT_SSL_VERIFYHOST, 2L);
                /* Never the environment's http_proxy: only the config's. */
                r = r ?: set_ptr(h, CURLOPT_PROXY, proxy ? proxy : "");
                r = r ?: set_ptr(h, CURLOPT_HEADERFUNCTION, (void *) on_header);
                r = r ?: set_ptr(h, CURLOPT_HEADERDATA, &a);
                r = r ?: set_ptr(h, CURLOPT_WRITEFUNCTION, (void *) on_body);
                r = r ?: set_ptr(h, CURLOPT_WRITEDATA, &a);
                r = r ?: set_ptr(h, CURLOPT_XFERINFOFUNCTION, (void *) on_progress);
                r = r ?: set_ptr(h, CURLOPT_XFERINFODATA, &a);
                r = r ?: set_long(h, CURLOPT_NOPROGRESS, 0L);
                r = r ?: set_long(h, CURLOPT_CONNECTTIMEOUT, 30L);
                /* Fewer, larger writes into the file and the hash (the
                 * default is 16 KiB): a 64 MiB body in ~256 steps. */
                r = r ?: set_long(h, CURLOPT_BUFFERSIZE, 256L * 1024);
                if (x->deadline_ms) {
                        long left = x->deadline_ms > now ? (long) (x->deadline_ms - now) : 1;
                        r = r ?: set_long(h, CURLOPT_TIMEOUT_MS, left);
                }
                if (a.connector) {
                        /* Any host, any port "is at" 127.0.0.1: an address
                         * literal, so nothing is looked up, and the socket
                         * libcurl would open for it is the connector's. */
                        connect_to = sym_curl_slist_append(NULL, "::127.0.0.1:");
                        r = r ?: set_ptr(h, CURLOPT_CONNECT_TO, connect_to);
                        r = r ?: set_ptr(h, CURLOPT_OPENSOCKETFUNCTION, (void *) on_opensocket);
                        r = r ?: set_ptr(h, CURLOPT_OPENSOCKETDATA, &a);
                        r = r ?: set_ptr(h, CURLOPT_SOCKOPTFUNCTION, (void *) on_sockopt);
                        r = r ?: set_ptr(h, CURLOPT_SOCKOPTDATA, &a);
                        /* The next attempt asks the connector again. */
                        r = r ?: set_long(h, CURLOPT_FORBID_REUSE, 1L);
                        a.bridged = !curl_takes_connected_sockets();
                } else if (x->req->privileged_source_port) {
                        long first = 1 + (long) arc4random_uniform(900);
                        r = r ?: set_long(h, CURLOPT_LOCALPORT, first);
                        r = r ?: set_long(h, CURLOPT_LOCALPORTRANGE, 1024 - first);
                }
                if (x->ca)
                        r = r ?: set_ptr(h, CURLOPT_CAINFO_BLOB,
                                         &(struct curl_blob) { .data = x->ca, .len = x->ca_len,
                                                               .flags = CURL_BLOB_NOCOPY });
                if (hop == 0 && x->req->aws_sigv4 && x->req->aws_credentials) {
                        r = r ?: set_ptr(h, CURLOPT_AWS_SIGV4, x->req->aws_sigv4);
                        r = r ?: set_ptr(h, CURLOPT_USERPWD, x->req->aws_credentials);
                }
                if (strcmp(method, "HEAD") == 0)
                        r = r ?: set_long(h, CURLOPT_NOBODY, 1L);
                else if (strcmp(method, "GET") != 0 || x->req->body) {
                        r = r ?: set_ptr(h, CURLOPT_CUSTOMREQUEST, method);
                        r = r ?: sym_curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                                      (curl_off_t) (x->req->body ? x->req->body_len : 0)) == CURLE_OK
                                          ? 0 : -EINVAL;
                        r = r ?: set_ptr(h, CURLOPT_POSTFIELDS, x->req->body ? x->req->body : "");
                }
                if (r < 0) {
                        sym_curl_slist_free_all(hdrs);
                        sym_curl_slist_free_all(connect_to);
                        snprintf(why, why_len, "libcurl refused an option");
                        return -EINVAL;
                }

                c = sym_curl_easy_perform(h);
                socket_bridge_stop(a.bridge);
                sym_curl_slist_free_all(hdrs);
                sym_curl_slist_free_all(connect_to);
                *body_started = *body_started || a.body_started;
                sym_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
                sym_curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &connect_code);
                resp->status = code;

                if (a.sink_error)
                        return a.sink_error;
                if (c != CURLE_OK && a.connect_error) {
                        snprintf(why, why_len, "%s", a.connect_why[0] ? a.connect_why : "cannot connect");
                        *retry = !a.connect_permanent;
                        return a.connect_error;
                }
                if (c != CURLE_OK) {
                        if (a.header_timeout)
                                snprintf(why, why_len, "no response headers within %ld s", x->header_timeout_s);
                        else if (a.stalled)
                                snprintf(why, why_len, "the body stalled (no data for %ld s)",
                                         (long) (a.stall_ms / 1000));
                        else if (c == CURLE_TFTP_NOTFOUND)
                                return -ENOENT;
                        else
                                snprintf(why, why_len, "%s", errbuf[0] ? errbuf : sym_curl_easy_strerror(c));
                        if (connect_code >= 300) {
                                snprintf(why, why_len, "the proxy refused the connection (HTTP %ld)", connect_code);
                                return -ECONNREFUSED;
                        }
                        if (curl_error_tls(c))
                                return -EPERM;
                        if (c == CURLE_TFTP_PERM)
                                return -EACCES;
                        if (c == CURLE_UNSUPPORTED_PROTOCOL) {
                                snprintf(why, why_len, "%s", hop == 0 ? "unsupported URL scheme"
                                                                      : "redirected to an unsupported URL scheme");
                                return -EPROTONOSUPPORT;
                        }
                        *retry = curl_error_retryable(c);
                        return c == CURLE_OPERATION_TIMEDOUT || a.stalled || a.header_timeout ? -ETIMEDOUT : -EIO;
                }

                if (a.is_tftp)
                        return 0;
                if (code >= 300 && code < 400 && code != 304 &&
                    sym_curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &redirect) == CURLE_OK && redirect) {
                        if (hop + 1 > MAX_REDIRECTS) {
                                snprintf(why, why_len, "stopped after %d redirects", MAX_REDIRECTS);
                                return -ELOOP;
                        }
                        free(url);
                        url = xstrdup(redirect);
                        /* As browsers and Go: a 303, or a 301/302 to a POST, becomes a GET. */
                        if (code == 303 || ((code == 301 || code == 302) && strcmp(method, "POST") == 0))
                                method = "GET";
                        continue;
                }
                if (code >= 200 && code < 300)
                        return 0;
                if (code == 404)
                        return -ENOENT;
                snprintf(why, why_len, "HTTP %ld%s%s", code, a.reason[0] ? " " : "", a.reason);
                if (code >= 500 || status_in(code, x->req->retry_statuses, x->req->n_retry_statuses))
                        *retry = true;
                return -EPROTO;
        }
}

int http_fetch(const struct fetch_settings *s, const struct http_request *req, const struct http_sink *sink,
               struct http_response *resp)
{
        struct http_response local = {};
        struct fetch_ctx x = { .req = req };
        char why[256] = "";
        unsigned attempts = 0, body_attempts = 0;
        long backoff = BACKOFF_FIRST_MS, budget;
        CURL *h;
        int r;

        if (!s)
                s = fetch_settings_global();
        if (!resp)
                resp = &local;
        *resp = (struct http_response) {};
        x.s = s;
        x.method = req->method ? req->method : "GET";
        x.shown = url_for_message(req->url);

        /* A connector's socket is not the network fetch-offline avoids. */
        if (s->offline && !req->connector) {
                r = log_error_errno(ENETUNREACH, "%s: %s needs the network, which this stage does not use",
                                    req->what, x.shown);
                goto out;
        }
        r = curl_ready();
        if (r < 0) {
                r = log_error_errno(r, "%s: %s: cannot fetch without libcurl", req->what, x.shown);
                goto out;
        }
        budget = req->budget_s > 0 ? req->budget_s : s->total_timeout_s;
        if (budget > 0)
                x.deadline_ms = now_ms() + (uint64_t) budget * 1000;
        x.header_timeout_s = req->attempt_timeout_s > 0 ? req->attempt_timeout_s : s->response_headers_timeout_s;
        if (s->ca_pem && s->ca_pem_len)
                x.ca = ca_blob(s, &x.ca_len);

        h = sym_curl_easy_init();
        if (!h) {
                r = log_error_errno(ENOMEM, "%s: %s: cannot set up libcurl", req->what, x.shown);
                goto out;
        }
        for (;;) {
                bool retry = false, started = false;
                uint64_t now;

                attempts++;
                r = attempt_once(&x, h, sink, resp, &retry, &started, why, sizeof(why));
                if (r >= 0 || r == -ENOENT)
                        break;
                if (started) {
                        body_attempts++;
                        if (!sink || !sink->restart || body_attempts >= MAX_BODY_ATTEMPTS)
                                retry = false;
                }
                if (why[0] == '\0') {
                        /* The sink's own error: it logged it. */
                        break;
                }
                now = now_ms();
                if (!retry) {
                        if (!(req->quiet_status && resp->status >= 300))
                                log_error("%s: %s %s: %s", req->what, x.method, x.shown, why);
                        break;
                }
                if (x.deadline_ms && now + (uint64_t) backoff >= x.deadline_ms) {
                        r = log_error_errno(ETIMEDOUT, "%s: %s %s: gave up after %u attempts within the total "
                                            "timeout of %ld s; last error: %s", req->what, x.method, x.shown,
                                            attempts, budget, why);
                        break;
                }
                log_warning("%s: %s %s: attempt %u failed: %s; retrying in %ld ms", req->what, x.method, x.shown,
                            attempts, why, backoff);
                if (started && sink->restart) {
                        r = sink->restart(sink->userdata);
                        if (r < 0) {
                                log_error_errno(r, "%s: cannot restart the download: %m", req->what);
                                break;
                        }
                }
                nanosleep(&(struct timespec) { .tv_sec = backoff / 1000, .tv_nsec = (backoff % 1000) * 1000000 },
                          NULL);
                backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
                why[0] = '\0';
        }
        sym_curl_easy_cleanup(h);
out:
        http_response_free(&local);
        free(x.shown);
        free(x.ca);
        return r;
}

int mem_sink_write(void *userdata, const void *data, size_t len)
{
        struct mem_sink *m = userdata;

        if (m->max && m->len + len > m->max)
                return -EFBIG;
        if (m->len + len + 1 > m->alloc) {
                m->alloc = (m->len + len + 1) * 2;
                m->buf = xrealloc(m->buf, m->alloc);
        }
        memcpy(m->buf + m->len, data, len);
        m->len += len;
        m->buf[m->len] = '\0';
        return 0;
}

int mem_sink_restart(void *userdata)
{
        struct mem_sink *m = userdata;

        m->len = 0;
        if (m->buf)
                m->buf[0] = '\0';
        return 0;
}

int http_fetch_memory(const struct fetch_settings *s, const struct http_request *req, size_t max, char **ret,
                      size_t *ret_len, struct http_response *resp)
{
        struct mem_sink m = { .max = max };
        struct http_sink sink = { mem_sink_write, mem_sink_restart, &m };
        int r;

        r = http_fetch(s, req, &sink, resp);
        if (r == -EFBIG) {
                _cleanup_free_ char *shown = url_for_message(req->url);
                log_error("%s: %s: larger than the limit of %zu bytes", req->what, shown, max);
        }
        if (r < 0) {
                free(m.buf);
                return r;
        }
        *ret = m.buf ? m.buf : xstrdup("");
        if (ret_len)
                *ret_len = m.len;
        return 0;
}
