/* SPDX-License-Identifier: Apache-2.0 */
/* Azure: the user data from IMDS (base64; Azure answers 404/410/429 while
 * the VM is still being set up, so those are retried), and when there is
 * none, the custom data on the provisioning CD (UDF, with ovf-env.xml):
 * CustomData.bin, or the base64 <CustomData> element of ovf-env.xml. The
 * Ready/NotReady report is azure-report.c. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/netwait.h"
#include "ignis/util.h"
#include "internal.h"

static int from_imds(struct fetched_config *out)
{
        static const long retry[] = { 404, 410, 429 };
        static const char *const headers[] = { "Metadata: true", NULL };
        _cleanup_free_ char *url = xasprintf("%s/metadata/instance/compute/userData?api-version=2021-01-01&format=text",
                                             provider_endpoint("azure-imds", "http://169.254.169.254"));
        struct http_request req = { .url = url, .what = "azure IMDS", .headers = headers, .retry_statuses = retry,
                                    .n_retry_statuses = ELEMENTSOF(retry) };
        _cleanup_free_ char *body = NULL;
        long budget = metadata_budget_s(), delay_ms = 200;
        struct timespec start, now;
        size_t len;
        int r;

        log_info("azure: fetching the user data from IMDS %s", url);
        clock_gettime(CLOCK_MONOTONIC, &start);
        /* The fetch stage starts while DHCP is still running: without this,
         * the first attempts die on "Couldn't connect" and print warnings on
         * every Azure boot. The wait is part of the budget. */
        r = net_wait_for_urls((const char *const[]) { url }, 1, "azure IMDS", budget > 0 ? budget : 1);
        if (r < 0)
                return r;
        clock_gettime(CLOCK_MONOTONIC, &now);
        req.budget_s = budget - (now.tv_sec - start.tv_sec) > 0 ? budget - (now.tv_sec - start.tv_sec) : 1;
        for (unsigned attempt = 1;; attempt++) {
                r = metadata_fetch(&req, &body, &len, NULL);
                if (r != -ENOENT)
                        break;
                /* 404 while the VM is being set up: retried like 410, in
                 * case the HTTP layer hands it back as "not found". */
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec + delay_ms / 1000 >= budget)
                        return log_error_errno(ETIMEDOUT, "azure: IMDS still answers 404 after %u attempts within "
                                               "%lds", attempt, budget);
                log_warning("azure: IMDS answered 404 (attempt %u; the VM may still be being set up); retrying in "
                            "%ld ms", attempt, delay_ms);
                nanosleep(&(struct timespec) { .tv_sec = delay_ms / 1000, .tv_nsec = delay_ms % 1000 * 1000000 },
                          NULL);
                delay_ms = delay_ms * 2 > 5000 ? 5000 : delay_ms * 2;
                req.budget_s = budget - (now.tv_sec - start.tv_sec);
        }
        if (r < 0)
                return r;
        if (len == 0)
                return 0;
        r = metadata_decode_base64("azure", url, &body, &len);
        if (r < 0)
                return r;
        out->data = TAKE_PTR(body);
        out->len = len;
        out->source = xstrdup("azure IMDS userData");
        return 0;
}

static int from_medium(struct fetched_config *out)
{
        static const char *const types[] = { "udf", "iso9660", NULL };
        static const char *const paths[] = { "ovf-env.xml", "CustomData.bin" };
        long wait = provider_media_wait_s(30);
        _cleanup_free_ char *custom = NULL;
        struct medium m;
        char *data[2];
        size_t len[2];
        int r;

        log_info("azure: looking for the provisioning medium (waiting up to %lds)", wait);
        r = medium_find(NULL, types, wait, &m);
        if (r == -ENOENT) {
                log_info("azure: no provisioning medium (UDF or ISO 9660 CD-ROM): no config");
                return 0;
        }
        if (r < 0)
                return r;
        r = medium_read(&m, paths, 2, data, len);
        if (r < 0)
                goto out;
        if (!data[0]) {
                log_info("azure: %s has no ovf-env.xml: not the provisioning medium; no config", m.dev);
                goto out;
        }
        if (data[1]) {
                out->data = TAKE_PTR(data[1]);
                out->len = len[1];
                out->source = xasprintf("azure custom data %s:/CustomData.bin", m.dev);
                goto out;
        }
        r = xml_element_text(data[0], len[0], "CustomData", &custom);
        if (r == -ENOENT) {
                r = 0;
                log_info("azure: the provisioning medium %s carries no custom data: no config", m.dev);
                goto out;
        }
        if (r < 0) {
                r = log_error_errno(EBADMSG, "azure: %s:/ovf-env.xml: the CustomData element is not plain text",
                                    m.dev);
                goto out;
        }
        if (custom[strspn(custom, " \t\r\n")] == '\0') {
                log_info("azure: the custom data on %s is empty: no config", m.dev);
                goto out;
        }
        r = provider_base64_decode(custom, strlen(custom), &out->data, &out->len);
        if (r < 0) {
                r = log_error_errno(EBADMSG, "azure: %s:/ovf-env.xml: the CustomData element is not base64", m.dev);
                goto out;
        }
        out->source = xasprintf("azure custom data %s:/ovf-env.xml", m.dev);
out:
        free(data[0]);
        free(data[1]);
        medium_free(&m);
        return r;
}

static int azure_fetch(struct fetched_config *out)
{
        int r;

        *out = (struct fetched_config) {};
        r = from_imds(out);
        if (r < 0 || out->data)
                return r;
        log_info("azure: IMDS has no user data; trying the custom data of the provisioning medium");
        return from_medium(out);
}

static int azurestack_fetch(struct fetched_config *out)
{
        *out = (struct fetched_config) {};
        return from_medium(out);
}

const struct provider provider_azure = { "azure", azure_fetch, true };
/* Azure Stack Hub has no IMDS user data: only the provisioning medium. */
const struct provider provider_azurestack = { "azurestack", azurestack_fetch, false };
