/* SPDX-License-Identifier: Apache-2.0 */
/* s3://bucket/key and arn:<partition>:s3:... (bucket and access-point
 * forms), with ?versionId=. As Ignition: the bucket's region is asked of
 * S3 itself (the x-amz-bucket-region header of a HEAD on the bucket,
 * starting from the partition's default region); the object is fetched
 * anonymously first, and when S3 says 401/403, again signed with AWS SigV4
 * (libcurl's) using the instance role's credentials from IMDSv2. Access
 * points always need credentials, and carry their region in the ARN. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "fetch-internal.h"

#define IMDS_BUDGET_S 10
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3_object {
        char *partition;
        char *bucket;           /* NULL for an access point */
        char *access_point;     /* "<name>-<account>" */
        char *region;           /* from an access point's ARN */
        char *key;              /* raw bytes, unescaped */
        char *version;          /* NULL: the current version */
};

static void s3_object_free(struct s3_object *o)
{
        free(o->partition);
        free(o->bucket);
        free(o->access_point);
        free(o->region);
        free(o->key);
        free(o->version);
}

static int unhex(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static char *unescape(const char *s, size_t n, bool plus_is_space)
{
        char *out = xmalloc(n + 1), *o = out;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '%' && i + 2 < n && unhex(s[i + 1]) >= 0 && unhex(s[i + 2]) >= 0) {
                        *o++ = (char) (unhex(s[i + 1]) * 16 + unhex(s[i + 2]));
                        i += 2;
                } else if (plus_is_space && s[i] == '+')
                        *o++ = ' ';
                else
                        *o++ = s[i];
        }
        *o = '\0';
        return out;
}

/* AWS's URI encoding: everything but unreserved characters (and, in a
 * path, '/') as %XX. */
static char *aws_escape(const char *s, bool keep_slash)
{
        size_t n = strlen(s);
        char *out = xmalloc(3 * n + 1), *o = out;

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    strchr("-._~", *p) || (keep_slash && *p == '/'))
                        *o++ = (char) *p;
                else
                        o += sprintf(o, "%%%02X", *p);
        }
        *o = '\0';
        return out;
}

/* versionId from a query string (the first one, as Go's Query().Get()). */
static char *query_version(const char *q)
{
        while (q && *q) {
                size_t n = strcspn(q, "&");
                if (n > 10 && strncmp(q, "versionId=", 10) == 0)
                        return unescape(q + 10, n - 10, true);
                q += n;
                if (*q == '&')
                        q++;
        }
        return NULL;
}

static int parse(const char *url, struct s3_object *o)
{
        const char *q = strchr(url, '?');
        size_t end = q ? (size_t) (q - url) : strcspn(url, "#");

        *o = (struct s3_object) {};
        if (q)
                o->version = query_version(q + 1);

        if (strncasecmp(url, "s3://", 5) == 0) {
                const char *b = url + 5, *slash = memchr(b, '/', end - 5);
                if (!slash || slash == b || (size_t) (slash + 1 - url) >= end)
                        return -EINVAL;
                o->partition = xstrdup("aws");
                o->bucket = xstrndup(b, (size_t) (slash - b));
                o->key = unescape(slash + 1, end - (size_t) (slash + 1 - url), false);
                return 0;
        }

        /* arn:<partition>:s3:<region>:<account>:<resource> */
        {
                _cleanup_free_ char *arn = xstrndup(url, end);
                char *part[6], *p = arn;
                size_t n = 0;

                for (; n < 5; n++) {
                        char *colon = strchr(p, ':');
                        if (!colon)
                                return -EINVAL;
                        *colon = '\0';
                        part[n] = p;
                        p = colon + 1;
                }
                part[5] = p;
                if (strcmp(part[0], "arn") != 0 || strcmp(part[2], "s3") != 0 || !*part[1])
                        return -EINVAL;
                o->partition = xstrdup(part[1]);
                if (strncmp(part[5], "accesspoint/", 12) == 0) {
                        char *name = part[5] + 12, *obj = strstr(name, "/object/");
                        if (!obj || obj == name || !obj[8] || !*part[3] || !*part[4])
                                return -EINVAL;
                        *obj = '\0';
                        o->access_point = xasprintf("%s-%s", name, part[4]);
                        o->region = xstrdup(part[3]);
                        o->key = xstrdup(obj + 8);
                        return 0;
                }
                {
                        char *slash = strchr(part[5], '/');
                        if (!slash || slash == part[5] || !slash[1] || *part[3] || *part[4])
                                return -EINVAL;
                        o->bucket = xstrndup(part[5], (size_t) (slash - part[5]));
                        o->key = xstrdup(slash + 1);
                }
        }
        return 0;
}

static const char *partition_region(const char *partition)
{
        if (strcmp(partition, "aws-cn") == 0)
                return "cn-north-1";
        if (strcmp(partition, "aws-us-gov") == 0)
                return "us-gov-west-1";
        return "us-east-1";
}

static const char *partition_domain(const char *partition)
{
        return strcmp(partition, "aws-cn") == 0 ? "amazonaws.com.cn" : "amazonaws.com";
}

/* The object's URL in region. Buckets with dots are addressed path-style
 * (their names do not fit the wildcard certificate). */
static char *object_url(const struct s3_object *o, const char *region)
{
        _cleanup_free_ char *key = aws_escape(o->key, true), *ver = NULL;
        const char *override = s3_endpoint_override(), *dom = partition_domain(o->partition);
        char *base;

        if (o->version)
                ver = aws_escape(o->version, false);
        if (override)
                base = xasprintf("%s/%s/%s", override, o->bucket ? o->bucket : o->access_point, key);
        else if (o->access_point)
                base = xasprintf("https://%s.s3-accesspoint.%s.%s/%s", o->access_point, region, dom, key);
        else if (strchr(o->bucket, '.'))
                base = xasprintf("https://s3.%s.%s/%s/%s", region, dom, o->bucket, key);
        else
                base = xasprintf("https://%s.s3.%s.%s/%s", o->bucket, region, dom, key);
        if (ver) {
                char *u = xasprintf("%s?versionId=%s", base, ver);
                free(base);
                base = u;
        }
        return base;
}

/* S3 names a bucket's region in every answer about it, 403 and 301 included. */
static char *bucket_region(const struct fetch_request *f, const struct s3_object *o, const char *what)
{
        const char *hint = partition_region(o->partition), *override = s3_endpoint_override(), *v;
        _cleanup_free_ char *url = override ? xasprintf("%s/%s", override, o->bucket)
                                            : xasprintf("https://s3.%s.%s/%s", hint, partition_domain(o->partition),
                                                        o->bucket);
        struct http_request req = { .method = "HEAD", .url = url, .what = what, .quiet_status = true,
                                    .budget_s = f->budget_s };
        struct http_response resp = {};
        char *region;

        (void) http_fetch(f->settings, &req, NULL, &resp);
        v = http_response_header(&resp, "x-amz-bucket-region");
        region = xstrdup(v && *v ? v : hint);
        http_response_free(&resp);
        return region;
}

struct aws_credentials {
        char *userpwd;          /* "ACCESS_KEY:SECRET" */
        char *token_header;     /* "x-amz-security-token: ..." */
};

static void aws_credentials_free(struct aws_credentials *c)
{
        if (c->userpwd)
                explicit_bzero(c->userpwd, strlen(c->userpwd));
        free(c->userpwd);
        if (c->token_header)
                explicit_bzero(c->token_header, strlen(c->token_header));
        free(c->token_header);
}

static const char *json_str(json_object *o, const char *key)
{
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                       ? json_object_get_string(v) : NULL;
}

/* IMDSv2: a session token (PUT), the role's name, then its credentials.
 * Returns 0, or a negative errno with *why set (nothing logged: the
 * caller's line says what could not be fetched and why). */
static int imds_credentials(const struct fetch_settings *s, const char *what, struct aws_credentials *c,
                            const char **why)
{
        _cleanup_free_ char *token = NULL, *token_hdr = NULL, *roles = NULL, *creds_text = NULL;
        _cleanup_free_ char *url_token = xasprintf("%s/latest/api/token", aws_imds_base());
        _cleanup_free_ char *url_roles = xasprintf("%s/latest/meta-data/iam/security-credentials/", aws_imds_base());
        _cleanup_free_ char *url_role = NULL, *role = NULL;
        const char *ttl[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL };
        const char *ak, *sk, *tok;
        json_object *o;
        size_t len;
        int r;

        r = http_fetch_memory(s, &(struct http_request) { .method = "PUT", .url = url_token, .what = what,
                                                          .headers = ttl, .direct = true, .quiet_status = true,
                                                          .budget_s = IMDS_BUDGET_S, .attempt_timeout_s = 2 },
                              4096, &token, &len, NULL);
        if (r < 0) {
                *why = "the instance metadata service (IMDSv2) gave no session token";
                return r;
        }
        token_hdr = xasprintf("X-aws-ec2-metadata-token: %s", token);
        explicit_bzero(token, len);
        {
                const char *hdrs[] = { token_hdr, NULL };
                struct http_request req = { .url = url_roles, .what = what, .headers = hdrs, .direct = true,
                                            .quiet_status = true, .budget_s = IMDS_BUDGET_S,
                                            .attempt_timeout_s = 2 };

                r = http_fetch_memory(s, &req, 4096, &roles, &len, NULL);
                if (r < 0 || !*roles) {
                        *why = "the instance has no IAM role";
                        return r < 0 ? r : -ENOENT;
                }
                role = xstrndup(roles, strcspn(roles, "\r\n"));
                url_role = xasprintf("%s%s", url_roles, role);
                req.url = url_role;
                r = http_fetch_memory(s, &req, 65536, &creds_text, &len, NULL);
                explicit_bzero(token_hdr, strlen(token_hdr));
                if (r < 0) {
                        *why = "the instance role's credentials could not be fetched";
                        return r;
                }
        }
        o = json_tokener_parse(creds_text);
        ak = o ? json_str(o, "AccessKeyId") : NULL;
        sk = o ? json_str(o, "SecretAccessKey") : NULL;
        tok = o ? json_str(o, "Token") : NULL;
        if (!ak || !sk || strchr(ak, ':')) {
                json_object_put(o);
                explicit_bzero(creds_text, len);
                *why = "the instance role's credentials are not in the expected form";
                return -EBADMSG;
        }
        c->userpwd = xasprintf("%s:%s", ak, sk);
        c->token_header = tok ? xasprintf("x-amz-security-token: %s", tok) : NULL;
        json_object_put(o);
        explicit_bzero(creds_text, len);
        return 0;
}

int transport_s3(const struct fetch_request *f, const struct http_sink *sink)
{
        _cleanup_free_ char *shown = url_for_message(f->url), *what = xasprintf("%s %s", f->what, shown);
        _cleanup_free_ char *region = NULL, *url = NULL, *sigv4 = NULL;
        struct aws_credentials creds = {};
        struct http_response resp = {};
        struct s3_object o;
        const char *why = NULL;
        int r;

        if (parse(f->url, &o) < 0) {
                s3_object_free(&o);
                return log_error_errno(EINVAL, "%s: not an S3 object URL (s3://<bucket>/<key> or an S3 ARN)", what);
        }
        region = o.region ? xstrdup(o.region) : bucket_region(f, &o, what);
        url = object_url(&o, region);

        if (!o.access_point) {
                const char *hdrs[] = { "x-amz-content-sha256: " EMPTY_SHA256, NULL };
                struct http_request req = { .url = url, .what = what, .headers = hdrs, .quiet_status = true,
                                            .budget_s = f->budget_s };
                r = http_fetch(f->settings, &req, sink, &resp);
                if (!(r == -EPROTO && (resp.status == 401 || resp.status == 403)))
                        goto done;
                http_response_free(&resp);
        }

        r = imds_credentials(f->settings, what, &creds, &why);
        if (r < 0) {
                r = log_error_errno(EACCES, "%s: %s, and %s", what,
                                    o.access_point ? "access points need credentials"
                                                   : "anonymous access was refused",
                                    why);
                goto out;
        }
        sigv4 = xasprintf("aws:amz:%s:s3", region);
        {
                const char *hdrs[] = { "x-amz-content-sha256: " EMPTY_SHA256, creds.token_header, NULL };
                struct http_request req = { .url = url, .what = what, .headers = hdrs, .aws_sigv4 = sigv4,
                                            .aws_credentials = creds.userpwd, .budget_s = f->budget_s };
                r = http_fetch(f->settings, &req, sink, &resp);
        }
done:
        if (r == -ENOENT)
                r = log_error_errno(ENOENT, "%s: no such object (HTTP 404)", what);
        else if (r == -EPROTO && !creds.userpwd)
                r = log_error_errno(EPROTO, "%s: HTTP %ld", what, resp.status);
out:
        http_response_free(&resp);
        aws_credentials_free(&creds);
        s3_object_free(&o);
        return r;
}
