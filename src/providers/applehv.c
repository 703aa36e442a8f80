/* SPDX-License-Identifier: Apache-2.0 */
/* Apple Hypervisor (macOS Virtualization framework, as vfkit and podman
 * machine run Fedora CoreOS): the VM manager on the host serves the config
 * over HTTP on a virtio socket, AF_VSOCK CID 2 (the host) port 1024;
 * `GET http://d/` with `Accept: application/json` (the host part means
 * nothing: no name is looked up). An empty body is "no config".
 *
 * The socket is made and connected here and handed to the HTTP layer as an
 * http_connector, so retries, the budget and the console lines are the
 * other metadata services' (metadata.c). Ignition connects once and reads
 * whatever comes back whatever the status; here a refused connection and
 * 5xx are retried within the providers' budget (the host's server may
 * start after the VM), and any other non-2xx answer, 404 included, is a
 * failure naming the status (Ignition fails on it too, with a JSON error
 * about the error page).
 *
 * For tests: IGNIS_APPLEHV_ENDPOINT (env.c) replaces the vsock address by
 * tcp:ADDRESS:PORT or unix:PATH; the socket then goes the same way. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/exec.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "ignis/util.h"
#include "internal.h"

#define WHO "applehv"
#define URL "http://d/"

struct transport {
        int family;
        union {
                struct sockaddr sa;
                struct sockaddr_vm vm;
                struct sockaddr_in in;
                struct sockaddr_in6 in6;
                struct sockaddr_un un;
        } addr;
        socklen_t addr_len;
        char shown[128];        /* "vsock CID 2 port 1024", for messages */
};

static int parse_u32(const char *s, unsigned long max, unsigned long *ret)
{
        char *end;

        if (!*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        *ret = strtoul(s, &end, 10);
        return errno || *end || *ret > max ? -EINVAL : 0;
}

/* "vsock:CID:PORT", "tcp:ADDRESS:PORT" ([v6]:PORT) or "unix:PATH". */
static int transport_parse(const char *spec, struct transport *t)
{
        _cleanup_free_ char *host = NULL;
        const char *colon;
        unsigned long cid, port;

        *t = (struct transport) {};
        if (strncmp(spec, "unix:", 5) == 0) {
                if (strlen(spec + 5) == 0 || strlen(spec + 5) >= sizeof(t->addr.un.sun_path))
                        return -EINVAL;
                t->family = AF_UNIX;
                t->addr.un.sun_family = AF_UNIX;
                strcpy(t->addr.un.sun_path, spec + 5);
                t->addr_len = sizeof(t->addr.un);
                snprintf(t->shown, sizeof(t->shown), "the socket %s", spec + 5);
                return 0;
        }
        colon = strrchr(spec, ':');
        if (!colon || parse_u32(colon + 1, 65535, &port) < 0)
                return -EINVAL;
        if (strncmp(spec, "vsock:", 6) == 0) {
                _cleanup_free_ char *c = xstrndup(spec + 6, (size_t) (colon - spec - 6));
                if (parse_u32(c, 0xffffffffUL, &cid) < 0)
                        return -EINVAL;
                t->family = AF_VSOCK;
                t->addr.vm.svm_family = AF_VSOCK;
                t->addr.vm.svm_cid = (unsigned) cid;
                t->addr.vm.svm_port = (unsigned) port;
                t->addr_len = sizeof(t->addr.vm);
                snprintf(t->shown, sizeof(t->shown), "vsock CID %lu port %lu", cid, port);
                return 0;
        }
        if (strncmp(spec, "tcp:", 4) != 0)
                return -EINVAL;
        host = xstrndup(spec + 4, (size_t) (colon - spec - 4));
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                host[strlen(host) - 1] = '\0';
                if (inet_pton(AF_INET6, host + 1, &t->addr.in6.sin6_addr) != 1)
                        return -EINVAL;
                t->family = t->addr.in6.sin6_family = AF_INET6;
                t->addr.in6.sin6_port = htons((uint16_t) port);
                t->addr_len = sizeof(t->addr.in6);
        } else {
                if (inet_pton(AF_INET, host, &t->addr.in.sin_addr) != 1)
                        return -EINVAL;
                t->family = t->addr.in.sin_family = AF_INET;
                t->addr.in.sin_port = htons((uint16_t) port);
                t->addr_len = sizeof(t->addr.in);
        }
        snprintf(t->shown, sizeof(t->shown), "TCP %s port %lu", host[0] == '[' ? host + 1 : host, port);
        return 0;
}

static int transport_connect(void *userdata, bool *permanent, char *why, size_t why_len)
{
        const struct transport *t = userdata;
        _cleanup_close_ int fd = -1;
        int e;

        fd = socket(t->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                e = errno;
                *permanent = e == EAFNOSUPPORT;
                if (t->family == AF_VSOCK && e == EAFNOSUPPORT)
                        snprintf(why, why_len, "the kernel has no vsock support (AF_VSOCK: %s): the modules vsock "
                                 "and vmw_vsock_virtio_transport are missing from the initramfs", strerror(e));
                else
                        snprintf(why, why_len, "%s: cannot make a socket: %s", t->shown, strerror(e));
                return -e;
        }
        if (connect(fd, &t->addr.sa, t->addr_len) < 0) {
                e = errno;
                /* With vsock but no transport to a host, the kernel has
                 * nobody to hand the connection to. */
                *permanent = t->family == AF_VSOCK && e == ENODEV;
                if (*permanent)
                        snprintf(why, why_len, "%s: no virtio socket device to the host (%s): not a VM of Apple's "
                                 "Virtualization framework with a vsock device?", t->shown, strerror(e));
                else
                        snprintf(why, why_len, "%s: %s", t->shown, strerror(e));
                return -e;
        }
        return TAKE_FD(fd);
}

static void load_vsock(void)
{
        /* The virtio transport pulls in vsock itself (Ignition loads
         * "vsock" alone and counts on udev for the transport). Built-in
         * modules make modprobe fail harmlessly: the socket says the rest. */
        char *argv[] = { "modprobe", "vmw_vsock_virtio_transport", NULL };
        struct exec_result res;

        if (exec_run(argv, NULL, &res) < 0)
                return;
        if (res.status != 0)
                log_warning("%s: modprobe vmw_vsock_virtio_transport failed (exit status %d): %s", WHO, res.status,
                            res.err ? res.err : "");
        exec_result_free(&res);
}

static int applehv_fetch(struct fetched_config *out)
{
        const char *spec = provider_applehv_transport();
        const char *headers[] = { "Accept: application/json", NULL };
        _cleanup_free_ char *body = NULL;
        struct transport t;
        struct http_connector conn = { transport_connect, &t };
        struct http_request req = { .url = URL, .what = WHO, .headers = headers, .connector = &conn };
        size_t len = 0;
        int r;

        *out = (struct fetched_config) {};
        if (transport_parse(spec, &t) < 0)
                return log_error_errno(EINVAL, "%s: IGNIS_APPLEHV_ENDPOINT=%s is not vsock:CID:PORT, "
                                       "tcp:ADDRESS:PORT or unix:PATH", WHO, spec);
        if (t.family == AF_VSOCK)
                load_vsock();
        log_info("%s: fetching the config from the host over %s: GET %s", WHO, t.shown, URL);
        r = metadata_fetch(&req, &body, &len, NULL);
        if (r == -ENOENT)
                return log_error_errno(EPROTO, "%s: GET %s over %s: HTTP 404: the host serves no config for this "
                                       "VM", WHO, URL, t.shown);
        if (r < 0)
                return r;
        if (len == 0) {
                log_info("%s: the host served an empty config: no config", WHO);
                return 0;
        }
        out->data = TAKE_PTR(body);
        out->len = len;
        out->source = xasprintf("%s host %s (%s)", WHO, URL, t.shown);
        return 0;
}

const struct provider provider_applehv = { "applehv", applehv_fetch, false };
