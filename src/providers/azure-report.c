/* SPDX-License-Identifier: Apache-2.0 */
/* Azure's health report to the wireserver, from the initramfs: Ready when
 * provisioning succeeded, NotReady with the failure summary when a stage
 * failed, so that the portal shows why instead of OSProvisioningTimedOut
 * after 20 minutes. The classic protocol: GET the goal state (its
 * Incarnation, ContainerId and InstanceId, read fresh for every attempt:
 * a stale incarnation is refused), then POST the Health document. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"

#define ATTEMPTS 5
/* The description Azure shows; cloud-init trims to the same length. */
#define DESCRIPTION_MAX 512

static const char *const wire_headers[] = { "x-ms-agent-name: ignis", "x-ms-version: 2012-11-30", NULL };

/* The wireserver from DHCP option 245 (systemd-networkd keeps unknown
 * options in its lease files as OPTION_<code>=<hex>), else the well-known
 * address. */
static char *wireserver_base(void)
{
        const char *env = provider_endpoint("azure-wireserver", NULL);
        _cleanup_free_ char *hex = NULL, *file = NULL;
        unsigned a, b, c, d;
        char end;

        if (env)
                return xstrdup(env);
        if (dhcp_lease_value("OPTION_245", &hex, &file) == 0) {
                if (strlen(hex) == 8 && sscanf(hex, "%2x%2x%2x%2x%c", &a, &b, &c, &d, &end) == 4) {
                        log_info("azure: wireserver %u.%u.%u.%u from DHCP option 245 (%s)", a, b, c, d, file);
                        return xasprintf("http://%u.%u.%u.%u", a, b, c, d);
                }
                log_warning("azure: DHCP option 245 in %s is not an IPv4 address (\"%s\"); using 168.63.129.16",
                            file, hex);
        }
        return xstrdup("http://168.63.129.16");
}

struct goal_state {
        char *incarnation, *container_id, *instance_id;
};

static void goal_state_free(struct goal_state *g)
{
        free(g->incarnation);
        free(g->container_id);
        free(g->instance_id);
        *g = (struct goal_state) {};
}

static int get_goal_state(const char *base, long budget, struct goal_state *g)
{
        _cleanup_free_ char *url = xasprintf("%s/machine/?comp=goalstate", base), *xml = NULL;
        struct http_request req = { .url = url, .what = "azure wireserver goal state", .headers = wire_headers,
                                    .budget_s = budget };
        size_t len;
        int r;

        r = metadata_fetch(&req, &xml, &len, NULL);
        if (r < 0)
                return r == -ENOENT ? log_error_errno(EPROTO, "azure: %s answered 404", url) : r;
        if (xml_element_text(xml, len, "Incarnation", &g->incarnation) < 0 ||
            xml_element_text(xml, len, "ContainerId", &g->container_id) < 0 ||
            xml_element_text(xml, len, "InstanceId", &g->instance_id) < 0) {
                goal_state_free(g);
                return log_error_errno(EBADMSG, "azure: the goal state from %s lacks Incarnation, ContainerId or "
                                       "InstanceId", url);
        }
        return 0;
}

static char *health_xml(const struct goal_state *g, bool ok, const char *summary)
{
        _cleanup_free_ char *inc = xml_escape(g->incarnation), *cid = xml_escape(g->container_id);
        _cleanup_free_ char *iid = xml_escape(g->instance_id), *details = NULL;

        if (ok)
                details = xstrdup("");
        else {
                const char *text = summary && *summary ? summary : "provisioning failed";
                _cleanup_free_ char *trimmed = xstrndup(text, utf8_prefix(text, DESCRIPTION_MAX));
                _cleanup_free_ char *desc = xml_escape(trimmed);

                details = xasprintf("<Details><SubStatus>ProvisioningFailed</SubStatus>"
                                    "<Description>%s</Description></Details>", desc);
        }
        return xasprintf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                         "<Health xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                         "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
                         "<GoalStateIncarnation>%s</GoalStateIncarnation>"
                         "<Container><ContainerId>%s</ContainerId>"
                         "<RoleInstanceList><Role><InstanceId>%s</InstanceId>"
                         "<Health><State>%s</State>%s</Health>"
                         "</Role></RoleInstanceList></Container></Health>\n",
                         inc, cid, iid, ok ? "Ready" : "NotReady", details);
}

static int post_health(const char *base, long budget, const struct goal_state *g, bool ok, const char *summary)
{
        _cleanup_free_ char *url = xasprintf("%s/machine?comp=health", base), *body = NULL, *resp_body = NULL;
        const char *headers[] = { wire_headers[0], wire_headers[1], "Content-Type: text/xml; charset=utf-8", NULL };
        struct http_request req = { .method = "POST", .url = url, .what = "azure wireserver health report",
                                    .headers = headers, .budget_s = budget };
        size_t len;
        int r;

        body = health_xml(g, ok, summary);
        req.body = body;
        req.body_len = strlen(body);
        r = metadata_fetch(&req, &resp_body, &len, NULL);
        if (r == -ENOENT)
                return log_error_errno(EPROTO, "azure: %s answered 404", url);
        return r;
}

int azure_report(bool ok, const char *summary)
{
        _cleanup_free_ char *base = wireserver_base();
        /* Each attempt may use a fifth of the budget: the whole report is
         * bounded by it, so a dead wireserver cannot hold up the boot. */
        long budget = metadata_budget_s(), each = budget / ATTEMPTS > 0 ? budget / ATTEMPTS : 1;
        struct timespec start, now;
        int r = -EIO;

        clock_gettime(CLOCK_MONOTONIC, &start);
        log_info("azure: reporting %s to the wireserver %s", ok ? "Ready" : "NotReady (provisioning failed)", base);
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                struct goal_state g = {};

                r = get_goal_state(base, each, &g);
                if (r >= 0) {
                        r = post_health(base, each, &g, ok, summary);
                        goal_state_free(&g);
                        if (r >= 0) {
                                log_info("azure: reported %s (attempt %d)", ok ? "Ready" : "NotReady", attempt);
                                return 0;
                        }
                }
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (attempt == ATTEMPTS || now.tv_sec - start.tv_sec >= budget)
                        break;
                log_warning("azure: the report failed (attempt %d of %d); trying again with a fresh goal state",
                            attempt, ATTEMPTS);
                sleep(1);
        }
        return log_error_errno(r, "azure: could not report %s to the wireserver %s: %m", ok ? "Ready" : "NotReady",
                               base);
}

bool provider_has_report(const char *platform)
{
        return platform && strcmp(platform, "azure") == 0;
}

int provider_report(const char *platform, bool result_ok, const char *summary)
{
        if (!provider_has_report(platform)) {
                log_debug("platform %s: no provisioning report to send", platform ? platform : "(none)");
                return 0;
        }
        return azure_report(result_ok, summary);
}
