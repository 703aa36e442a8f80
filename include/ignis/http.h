/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The HTTP(S)/TFTP client every network user shares: resources in configs
 * (src/fetch/), metadata services (src/providers/), reports to a platform
 * (Azure's wireserver). libcurl does the protocol work; this layer adds what
 * Ignition users rely on:
 *   - retries on connection errors and 5xx (plus statuses a caller names),
 *     backoff from 200 ms doubling to 5 s, within a total budget, one log
 *     line per failed attempt with the reason;
 *   - a per-attempt wait for the response headers, and a stall detector for
 *     a body that stops arriving;
 *   - config headers (httpHeaders) never sent to a redirect target; secrets
 *     (header values, tokens, query strings, userinfo) never logged;
 *   - proxies and noProxy from the config only (never the environment),
 *     bypassed for link-local metadata services;
 *   - TLS always verified, against the system store plus the config's CAs.
 */

#include <stdbool.h>
#include <stddef.h>

#include "ignis/config.h"

/* What configs tell the fetcher (ignition.timeouts, .security.tls, .proxy).
 * A merged child config can change them for the fetches after it, as in
 * Ignition, so the fetch stage updates them as it renders. */
struct fetch_settings {
        long response_headers_timeout_s;        /* default 10; 0 = no limit */
        long total_timeout_s;                   /* default 0 = no limit */
        char *ca_pem;                           /* the certificateAuthorities' PEM text, concatenated; NULL: none */
        size_t ca_pem_len;
        char *http_proxy;                       /* NULL: none */
        char *https_proxy;
        struct ig_strv no_proxy;
        struct ig_strv ca_sources;              /* the CAs already in ca_pem (each fetched once) */
        bool offline;                           /* refuse anything that needs a network (-ENETUNREACH) */
};

/* The settings fetch_to_fd()/fetch_to_memory() use; defaults until updated. */
struct fetch_settings *fetch_settings_global(void);
void fetch_settings_reset(struct fetch_settings *s);
/* Takes c's timeouts and proxy, and fetches its certificateAuthorities (they
 * are resources themselves, fetched with the settings as they were before).
 * Returns 0 or a negative errno (logged). */
int fetch_settings_update(struct fetch_settings *s, const struct ig_config *c);

/* Where a body goes, chunk by chunk, as it arrives. Returns 0 or a negative
 * errno, which aborts the transfer and is returned by http_fetch(). A retry
 * starts the body again: the sink gets restart() first (may be NULL when
 * the sink can only be written once; then no retry happens after the first
 * byte reached it). */
struct http_sink {
        int (*write)(void *userdata, const void *data, size_t len);
        int (*restart)(void *userdata);
        void *userdata;
};

/* A transport of the caller's own for HTTP that does not go over TCP to
 * the URL's host (Apple Hypervisor's vsock): connect() returns a connected
 * stream socket (the HTTP layer closes it) or a negative errno with the
 * reason in why; *permanent set means another attempt cannot help (the
 * kernel lacks the address family). The URL's host is then only what the
 * Host header says, never looked up; no proxy, no route wait, and the
 * socket is used by the fetch-offline stage too (it is not the network). */
struct http_connector {
        int (*connect)(void *userdata, bool *permanent, char *why, size_t why_len);
        void *userdata;
};

struct http_request {
        const char *method;             /* NULL: GET ("PUT", "POST" for metadata tokens and reports) */
        const char *url;                /* http, https or tftp */
        const char *what;               /* who asks, for messages: "$.storage.files[3] \"/etc/motd\"", "aws" */

        /* The config's httpHeaders (override the defaults; a NULL value is
         * skipped); dropped on a redirect. */
        const struct ig_http_header *config_headers;
        size_t n_config_headers;
        /* Headers the caller needs ("Name: value", NULL-terminated): metadata
         * flavours and tokens; one named like a default (Accept) replaces
         * it. Values are never logged. */
        const char *const *headers;

        const void *body;               /* PUT/POST body, or NULL */
        size_t body_len;

        /* AWS SigV4 signing (libcurl's CURLOPT_AWS_SIGV4): provider string
         * such as "aws:amz:us-east-1:s3", and "ACCESS_KEY:SECRET"; a session
         * token goes in headers as "x-amz-security-token: ...". libcurl
         * 7.88 signs the query as written: write its parameters sorted.
         * An "X-Amz-Date: ..." in headers fixes the signing time (tests). */
        const char *aws_sigv4;
        const char *aws_credentials;

        /* Statuses retried besides 5xx (Azure IMDS: 404, 410, 429). */
        const long *retry_statuses;
        size_t n_retry_statuses;

        bool direct;                    /* no proxy: link-local metadata services */
        /* NULL: libcurl connects to the URL's host. */
        const struct http_connector *connector;
        /* Connect from a source port below 1024 (Scaleway's metadata service
         * answers user data only to such requests: only root can bind them).
         * A random start, so a port still in TIME_WAIT is skipped. */
        bool privileged_source_port;
        /* Non-2xx answers are returned (-ENOENT, -EACCES, -EPROTO with
         * resp->status) without an error line: the caller tries something
         * else (S3 and GCS: anonymous first, then signed). */
        bool quiet_status;
        /* Total budget for this fetch in seconds, overriding the settings'
         * total timeout (providers use 120 s as Ignition does); 0: settings. */
        long budget_s;
        /* Per-attempt header timeout in seconds overriding the settings; 0: settings. */
        long attempt_timeout_s;
};

struct http_response {
        long status;                    /* the last attempt's status; 0 if none answered */
        /* Response headers of the final answer, "name: value" lines with
         * names lower-cased (for checks such as GCP's Metadata-Flavor). */
        char **headers;
        size_t n_headers;
};

void http_response_free(struct http_response *r);
/* The value of header name (case-insensitive) in r, or NULL. */
const char *http_response_header(const struct http_response *r, const char *name);

/* Performs req with settings s (NULL: the global settings), streaming the
 * body of a 2xx answer into sink. Statuses are the caller's to judge, except:
 *   - connection errors, 5xx and req->retry_statuses are retried until the
 *     budget is spent (then -ETIMEDOUT, logged);
 *   - 404 returns -ENOENT without logging (providers: "no config"); so
 *     does a TFTP "file not found";
 *   - other non-2xx return -EPROTO with resp->status set, logged (unless
 *     req->quiet_status).
 * TLS failures (unknown CA, wrong host, expired) return -EPERM, logged.
 * Also, logged: -ELOOP after 10 redirects, -ECONNREFUSED when a proxy
 * refuses the CONNECT, -ENETUNREACH when s->offline, -EPROTONOSUPPORT for a
 * scheme other than http/https/tftp (or a redirect to one), and the sink's
 * own error (which it logs). A body cut short or stalled is fetched again
 * (sink->restart) at most 4 times.
 * Returns 0 on a 2xx. resp may be NULL. */
int http_fetch(const struct fetch_settings *s, const struct http_request *req, const struct http_sink *sink,
               struct http_response *resp);

/* Convenience: the whole body in memory (NUL-terminated), refusing more
 * than max bytes (-EFBIG). */
int http_fetch_memory(const struct fetch_settings *s, const struct http_request *req, size_t max, char **ret,
                      size_t *ret_len, struct http_response *resp);

/* Base URLs of the services the fetcher talks to, without a trailing '/'.
 * Each can be pointed elsewhere by an environment variable (for tests
 * against local servers); these are the only places that read them.
 *   AWS IMDS              http://169.254.169.254       IGNIS_AWS_IMDS_URL
 *   GCP metadata server   http://169.254.169.254       IGNIS_GCP_METADATA_URL
 *   Google Cloud Storage  https://storage.googleapis.com  IGNIS_GCS_URL
 *   S3 (path-style)       none: the region's endpoint  IGNIS_S3_ENDPOINT */
const char *aws_imds_base(void);
const char *gcp_metadata_base(void);
const char *gcs_api_base(void);
const char *s3_endpoint_override(void);
