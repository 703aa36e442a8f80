/* SPDX-License-Identifier: Apache-2.0 */
/* Whether a config needs the network, the host a URL is fetched from, and
 * the route check the fetch stage waits on: in a network namespace of its
 * own (as root), where loopback is first down (no route at all) and then
 * up (a route to 127.0.0.1, still none to 192.0.2.1). */

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ignis/config.h"
#include "ignis/netwait.h"
#include "tap.h"

static void host(const char *url, const char *want_host, unsigned want_port)
{
        char *h = NULL;
        unsigned port = 0;
        int r = url_network_host(url, &h, &port);

        if (!want_host)
                tap_ok(r < 0 && !h, "%s: no network host (r=%d)", url, r);
        else
                tap_ok(r == 0 && h && strcmp(h, want_host) == 0 && port == want_port, "%s -> %s port %u (got %s %u)",
                       url, want_host, want_port, h ? h : "(null)", port);
        free(h);
}

static void needs(const char *json, bool want, size_t want_n)
{
        struct ig_config c;
        struct ig_strv urls = {};
        int r;

        ig_config_init(&c);
        r = ig_config_load_report(json, strlen(json), NULL, "test", &c);
        tap_ok(r == 0 && config_network_needed(&c, &urls) == want && urls.n == want_n, "needs network %d, %zu remote: %.70s",
               want, want_n, json);
        free(urls.v);
        ig_config_free(&c);
}

static int lo_up(void)
{
        struct ifreq ifr = {};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

        if (fd < 0)
                return -1;
        strcpy(ifr.ifr_name, "lo");
        r = ioctl(fd, SIOCGIFFLAGS, &ifr);
        if (r == 0) {
                ifr.ifr_flags |= IFF_UP;
                r = ioctl(fd, SIOCSIFFLAGS, &ifr);
        }
        close(fd);
        return r;
}

static void route(const char *h, int want)
{
        const char *why;
        char *buf;
        int r = net_route_to_host(h, 80, &why, &buf);

        tap_ok(r == want && (r == 1) == !why, "route to %s: %d (%s)", h, want, why ? why : "reachable");
        free(buf);
}

int main(void)
{
        host("http://192.0.2.1/c.ign", "192.0.2.1", 80);
        host("https://user:p@ss@example.com:8443/x?y=1", "example.com", 8443);
        host("http://[fd00:ec2::254]/latest", "fd00:ec2::254", 80);
        host("http://[fe80::1%25eth0]:81/", "fe80::1%eth0", 81);
        host("tftp://10.0.0.1/boot/c.ign", "10.0.0.1", 69);
        host("s3://bucket/key", "s3.amazonaws.com", 443);
        host("arn:aws:s3:us-east-1:123456789012:accesspoint/ap/object/key", "s3.amazonaws.com", 443);
        host("gs://bucket/object", "storage.googleapis.com", 443);
        host("HTTP://Example.com", "Example.com", 80);
        host("data:,hello", NULL, 0);
        host("file:///usr/lib/c.ign", NULL, 0);
        host("http://:80/", NULL, 0);
        host("http://h:99999/", NULL, 0);
        host("http://[::1/", NULL, 0);

        needs("{\"ignition\":{\"version\":\"3.4.0\"}}", false, 0);
        needs("{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"contents\":"
              "{\"source\":\"data:,x\"}},{\"path\":\"/b\",\"contents\":{}}]}}",
              false, 0);
        needs("{\"ignition\":{\"version\":\"3.4.0\",\"config\":{\"merge\":[{\"source\":\"http://h/1\"},"
              "{\"source\":\"data:,x\"}]}}}", true, 1);
        needs("{\"ignition\":{\"version\":\"3.4.0\",\"config\":{\"replace\":{\"source\":\"tftp://h/1\"}}}}", true, 1);
        needs("{\"ignition\":{\"version\":\"3.4.0\",\"security\":{\"tls\":{\"certificateAuthorities\":"
              "[{\"source\":\"https://h/ca.pem\"}]}}}}", true, 1);
        needs("{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":\"/a\",\"contents\":"
              "{\"source\":\"s3://b/k\"},\"append\":[{\"source\":\"gs://b/o\"},{\"source\":\"data:,x\"}]}]}}",
              true, 2);
        needs("{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"luks\":[{\"name\":\"l\",\"device\":\"/dev/vdb\","
              "\"keyFile\":{\"source\":\"https://h/key\"}}]}}", true, 1);
        needs("{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"luks\":[{\"name\":\"l\",\"device\":\"/dev/vdb\","
              "\"clevis\":{\"tang\":[{\"url\":\"http://tang.example\",\"thumbprint\":\"x\"}]}}]}}", true, 1);
        needs("{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"luks\":[{\"name\":\"l\",\"device\":\"/dev/vdb\","
              "\"clevis\":{\"custom\":{\"pin\":\"sss\",\"config\":\"{}\",\"needsNetwork\":true}}}]}}", true, 0);

        if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
                printf("# not root or no network namespaces: route checks skipped\n");
                printf("ok %d - route checks # SKIP needs root\n", ++tap_n);
                return tap_done();
        }
        route("127.0.0.1", 0);
        route("::1", 0);
        route("192.0.2.1", 0);
        {
                const char *u[] = { "http://127.0.0.1/x" };
                tap_ok(net_wait_for_urls(u, 1, "test", 1) == -ETIMEDOUT, "wait for a route with lo down: times out");
        }
        tap_ok(lo_up() == 0, "loopback up");
        route("127.0.0.1", 1);
        route("127.1.2.3", 1);
        route("192.0.2.1", 0);
        route("fd00:ec2::254", 0);
        {
                const char *u[] = { "http://127.0.0.1:8080/x", "data:,x", "tftp://127.0.0.1/y" };
                tap_ok(net_wait_for_urls(u, 3, "test", 1) == 0, "wait for a route with lo up: at once");
        }
        return tap_done();
}
