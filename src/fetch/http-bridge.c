/* SPDX-License-Identifier: Apache-2.0 */
/* Handing libcurl a socket that is already connected (http_connector).
 * libcurl documents it: the open-socket callback returns the socket and
 * the sockopt callback answers CURL_SOCKOPT_ALREADY_CONNECTED. libcurl
 * 7.88.0 and 7.88.1 (Debian 12's) then call connect() on it all the same
 * and fail with EISCONN (curl issue #10626, fixed in 8.0.0); nor can they
 * be asked to connect an AF_VSOCK address (they cannot print it). For
 * those, the connected socket is bridged: libcurl connects a Unix socket
 * of its own to a listener in the abstract namespace made here, and a
 * thread copies bytes both ways until either side is done. */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "fetch-internal.h"

struct socket_bridge {
        int listener;
        int remote;
        int stop[2];            /* a byte in stop[1]: the transfer is over */
        pthread_t thread;
};

static void close_fd(int fd)
{
        if (fd >= 0)
                close(fd);
}

bool curl_takes_connected_sockets(void)
{
        const curl_version_info_data *v = sym_curl_version_info(CURLVERSION_NOW);

        return !v || v->version_num < 0x075800 || v->version_num >= 0x080000;
}

/* Copies what one side has into the other; false when the source is done
 * (end of file or an error) or the destination is gone. */
static bool pump(int from, int to)
{
        char buf[16384];
        ssize_t n = read(from, buf, sizeof(buf));

        if (n <= 0)
                return false;
        for (ssize_t off = 0; off < n;) {
                ssize_t w = send(to, buf + off, (size_t) (n - off), MSG_NOSIGNAL);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return false;
                off += w;
        }
        return true;
}

static void *bridge_run(void *userdata)
{
        struct socket_bridge *b = userdata;
        struct pollfd a[2] = { { .fd = b->listener, .events = POLLIN }, { .fd = b->stop[0], .events = POLLIN } };
        _cleanup_close_ int local = -1;
        bool up = true, down = true;    /* libcurl -> remote, remote -> libcurl */

        /* Any process may connect to an abstract name: only libcurl, in
         * this process, gets the host's answer (which may hold secrets). */
        for (;;) {
                struct ucred cred;
                socklen_t clen = sizeof(cred);

                if (poll(a, 2, -1) <= 0 || !(a[0].revents & POLLIN))
                        return NULL;
                local = accept4(b->listener, NULL, NULL, SOCK_CLOEXEC);
                if (local < 0)
                        return NULL;
                if (getsockopt(local, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid == getpid())
                        break;
                close(local);
                local = -1;
        }
        while (up || down) {
                struct pollfd p[3] = {
                        { .fd = up ? local : -1, .events = POLLIN },
                        { .fd = down ? b->remote : -1, .events = POLLIN },
                        { .fd = b->stop[0], .events = POLLIN },
                };

                if (poll(p, 3, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (p[2].revents)
                        break;
                if (up && p[0].revents && !pump(local, b->remote)) {
                        up = false;
                        shutdown(b->remote, SHUT_WR);
                }
                if (down && p[1].revents && !pump(b->remote, local)) {
                        down = false;
                        /* The server's end of the body reaches libcurl. */
                        shutdown(local, SHUT_WR);
                }
        }
        return NULL;
}

int socket_bridge_start(int remote, struct sockaddr *addr, unsigned *addrlen, struct socket_bridge **ret)
{
        _cleanup_free_ struct socket_bridge *b = xmalloc(sizeof(*b));
        struct sockaddr_un un = { .sun_family = AF_UNIX };
        socklen_t len = sizeof(sa_family_t);
        _cleanup_close_ int local = -1;
        int r;

        *b = (struct socket_bridge) { .listener = -1, .remote = remote, .stop = { -1, -1 } };
        b->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* Binding only the family picks a free abstract name (autobind). */
        if (b->listener < 0 || bind(b->listener, (struct sockaddr *) &un, len) < 0 || listen(b->listener, 1) < 0)
                goto fail;
        len = sizeof(un);
        if (getsockname(b->listener, (struct sockaddr *) &un, &len) < 0 || len > *addrlen)
                goto fail;
        local = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (local < 0 || pipe2(b->stop, O_CLOEXEC) < 0)
                goto fail;
        r = pthread_create(&b->thread, NULL, bridge_run, b);
        if (r != 0) {
                errno = r;
                goto fail;
        }
        memcpy(addr, &un, len);
        *addrlen = len;
        *ret = TAKE_PTR(b);
        return TAKE_FD(local);
fail:
        /* remote stays the caller's. */
        r = -errno;
        close_fd(b->listener);
        close_fd(b->stop[0]);
        close_fd(b->stop[1]);
        return r;
}

void socket_bridge_stop(struct socket_bridge *b)
{
        if (!b)
                return;
        (void) !write(b->stop[1], "", 1);
        pthread_join(b->thread, NULL);
        close_fd(b->listener);
        close_fd(b->remote);
        close_fd(b->stop[0]);
        close_fd(b->stop[1]);
        free(b);
}
