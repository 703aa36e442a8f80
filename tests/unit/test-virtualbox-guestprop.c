/* SPDX-License-Identifier: Apache-2.0 */
/* The VirtualBox provider's HGCM protocol and /Ignition/Config logic,
 * against a model of the vboxguest driver and the host's guest property
 * service (vbox-fake-host.h): a mock, because the real thing cannot run
 * here (only a VirtualBox VM has the device). The provider's path through
 * the real device is covered by tests/platforms (a machine without it, a
 * file that is not the device). */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "capture.h"
#include "tap.h"
#include "vbox-fake-host.h"
#include "virtualbox.h"

#define DEV "/dev/vboxguest"

static int fetch(struct vbox_fake *f, struct fetched_config *out, char **log)
{
        struct vbox_transport t = { .ioctl = vbox_fake_ioctl, .ctx = f };
        int r;

        capture();
        r = virtualbox_fetch_properties(&t, DEV, out);
        *log = captured();
        return r;
}

/* every rule kept, and the session ended */
static bool clean(const struct vbox_fake *f)
{
        return f->violations == 0 && f->connects == 1 && f->disconnects == 1 && f->client == 0;
}

#define CONFIG "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":\"/etc/vbox-secret\"}]}}"

static void test_plain(void)
{
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { CONFIG } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && out.len == strlen(CONFIG), "plain config");
        tap_ok(out.source && strcmp(out.source, "VirtualBox guest property /Ignition/Config") == 0,
               "source names the property: %s", out.source);
        tap_ok(strcmp(f.asked, "/Ignition/Config/Encoding;/Ignition/Config;") == 0,
               "the encoding is asked first, then the config: %s", f.asked);
        tap_ok(clean(&f) && f.versions == 1 && f.calls == 2,
               "version negotiated, one connection, two calls, disconnected, no violation");
        tap_ok(strstr(log, "read the guest property /Ignition/Config (") != NULL, "said where it came from");
        tap_ok(!strstr(log, "vbox-secret"), "the config is not logged");
        fetched_config_free(&out);
}

static void test_flags(void)
{
        /* a property the host made read-only for the guest: flags after the value */
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .flags = { "RDONLYGUEST" } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && out.len == strlen(CONFIG) && clean(&f),
               "the flags after the value are not part of it");
        fetched_config_free(&out);
}

static char *big_config(size_t n)
{
        char *s = malloc(n + 1);
        size_t head = strlen("{\"ignition\":{\"version\":\"3.4.0\"},\"x\":\"");

        memcpy(s, "{\"ignition\":{\"version\":\"3.4.0\"},\"x\":\"", head);
        memset(s + head, 'a', n - head - 2);
        memcpy(s + n - 2, "\"}", 3);
        return s;
}

static void test_grow(void)
{
        char *config = big_config(100000);
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { config }, .flags = { "TRANSIENT" } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && out.data && out.len == 100000 && strcmp(out.data, config) == 0 && clean(&f),
               "a 100000-byte config: read after the buffer grew");
        tap_ok(f.calls == 3 && f.sizes[1] == 4096 && f.sizes[2] == 100000 + 1 + strlen("TRANSIENT") + 1,
               "asked with 4096 bytes, then with what the host asked for (%u, %u)", f.sizes[1], f.sizes[2]);
        fetched_config_free(&out);
        free(config);
}

static void test_growing(void)
{
        char *config = big_config(5000);
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { config }, .grow_by = 10 };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == -EPROTO && !out.data && clean(&f), "a property that grows at every call: an error, r=%d", r);
        tap_ok(strstr(log, "the guest property /Ignition/Config kept growing while it was read (5 attempts)") !=
                       NULL, "which says so");
        fetched_config_free(&out);
        free(config);
}

static void test_missing(void)
{
        struct vbox_fake f = { .names = { "/VirtualBox/GuestInfo/OS/Product" }, .values = { "Linux" } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && !out.data && clean(&f), "no /Ignition/Config: no config, not an error");
        tap_ok(strstr(log, "the guest property /Ignition/Config is not set: no config") != NULL, "and said so");
        fetched_config_free(&out);

        struct vbox_fake g = { .names = { "/Ignition/Config", "/Ignition/Config/Encoding" }, .values = { "", "" } };
        r = fetch(&g, &out, &log);
        tap_ok(r == 0 && !out.data && clean(&g), "empty /Ignition/Config (and empty encoding): no config");
        tap_ok(strstr(log, "the guest property /Ignition/Config is empty: no config") != NULL, "and said so");
        fetched_config_free(&out);
}

static void test_encoding(void)
{
        struct vbox_fake f = { .names = { "/Ignition/Config", "/Ignition/Config/Encoding" },
                          .values = { "eyJpZ25pdGlvbiI6e319", "base64" } };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == -EINVAL && !out.data && clean(&f), "/Ignition/Config/Encoding set: refused, r=%d", r);
        tap_ok(strstr(log, "the guest property /Ignition/Config/Encoding is \"base64\": no encoding is supported") !=
                       NULL, "the message names the property and its value");
        tap_ok(strcmp(f.asked, "/Ignition/Config/Encoding;") == 0, "the config is not read then: %s", f.asked);
        fetched_config_free(&out);
}

static void test_failed_ioctls(void)
{
        static const struct {
                unsigned nr, skip;
                int err;
                const char *what;
        } cases[] = {
                { 0, 0, ENOTTY, "negotiating the driver interface version: the vboxguest driver (" DEV
                                ") refused the request: Inappropriate ioctl" },
                { 4, 0, EINVAL, "connecting to the guest property service VBoxGuestPropSvc: the vboxguest driver "
                                "(" DEV ") refused the request: Invalid argument" },
                { 7, 1, EINTR, "reading the guest property /Ignition/Config: the vboxguest driver (" DEV
                               ") refused the call: Interrupted system call" },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .fail = true,
                                  .fail_nr = cases[i].nr, .fail_skip = cases[i].skip,
                                  .fail_errno = cases[i].err };
                struct fetched_config out;
                char *log;
                int r = fetch(&f, &out, &log);

                tap_ok(r == -cases[i].err && !out.data && f.violations == 0 && f.client == 0,
                       "ioctl %u refused (%s): an error, no session left open", cases[i].nr,
                       strerror(cases[i].err));
                tap_ok(strstr(log, cases[i].what) != NULL, "the message says which step: %s", cases[i].what);
                fetched_config_free(&out);
        }
}

static void test_host_errors(void)
{
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .connect_rc = -2900 };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == -EOPNOTSUPP && !out.data && f.client == 0 && f.calls == 0,
               "the host has no guest property service: an error, r=%d", r);
        tap_ok(strstr(log, "connecting to the guest property service VBoxGuestPropSvc: the host answered "
                           "VERR_HGCM_SERVICE_NOT_FOUND (-2900)") != NULL, "naming the host's status");

        struct vbox_fake g = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .get_rc = VERR_PERMISSION_DENIED };
        r = fetch(&g, &out, &log);
        tap_ok(r == -EACCES && !out.data && clean(&g), "GET_PROP refused by the host: an error, r=%d", r);
        tap_ok(strstr(log, "reading the guest property /Ignition/Config/Encoding: the host answered "
                           "VERR_PERMISSION_DENIED (-10)") != NULL, "naming the property and the status");
        fetched_config_free(&out);
}

static void test_bad_replies(void)
{
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .unterminated = true };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == -EPROTO && !out.data && clean(&f), "a reply without a NUL: an error, r=%d", r);
        tap_ok(strstr(log, "the host's reply for the guest property /Ignition/Config is not NUL-terminated") != NULL,
               "which says so");
        fetched_config_free(&out);

        struct vbox_fake g = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .claim_more = true };
        r = fetch(&g, &out, &log);
        tap_ok(r == -EPROTO && !out.data && clean(&g), "a reply claiming more than the buffer holds: an error");
        tap_ok(strstr(log, "the host claims") != NULL, "which says so");
        fetched_config_free(&out);

        struct vbox_fake h = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .overflow_no_more = true };
        r = fetch(&h, &out, &log);
        /* one call for the (unset) encoding, one for the config */
        tap_ok(r == -EPROTO && !out.data && clean(&h) && h.calls == 2,
               "a buffer overflow asking for no more room: an error, not a loop (%u calls)", h.calls);
        tap_ok(strstr(log, "the host said a 4096-byte buffer is too small but asked for 4096 bytes") != NULL,
               "which says so");
        fetched_config_free(&out);
}

static void test_too_large(void)
{
        char *config = big_config(20000);
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { config } };
        struct vbox_transport t = { .ioctl = vbox_fake_ioctl, .ctx = &f };
        struct vbox_session s;
        char *value = NULL, *log;
        size_t len;
        int r;

        capture();
        r = vbox_connect(&t, DEV, &s);
        if (r == 0) {
                r = vbox_get_property(&s, "/Ignition/Config", 10000, &value, &len);
                vbox_disconnect(&s);
        }
        log = captured();
        tap_ok(r == -EFBIG && !value && f.violations == 0 && f.client == 0 && f.calls == 1,
               "a value above the limit: refused before it is fetched, r=%d", r);
        tap_ok(strstr(log, "the guest property /Ignition/Config is larger than 10000 bytes") != NULL,
               "naming the property and the limit");
        free(config);
}

static void test_disconnect_fails(void)
{
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .disconnect_fails = true };
        struct fetched_config out;
        char *log;
        int r = fetch(&f, &out, &log);

        tap_ok(r == 0 && out.data && strcmp(out.data, CONFIG) == 0 && f.violations == 0,
               "a failed disconnect: the config read stands");
        tap_ok(strstr(log, "warning") && strstr(log, "disconnecting from the guest property service: the host answered VERR_GENERAL_FAILURE (-1)"),
               "and a warning says so");
        fetched_config_free(&out);
}

static void test_not_the_device(void)
{
        /* The real device transport on a file that is no vboxguest device:
         * the driver's refusal reaches the message. */
        char path[] = "/tmp/ignis-vboxguest-XXXXXX";
        int tmp = mkstemp(path), fd = -1;
        struct vbox_transport t;
        struct fetched_config out = {};
        char *log;
        int r;

        capture();
        r = vbox_device_open(path, &fd, &t);
        if (r == 0)
                r = virtualbox_fetch_properties(&t, path, &out);
        log = captured();
        tap_ok(r == -ENOTTY && !out.data, "a regular file as the device: an error, r=%d", r);
        tap_ok(strstr(log, "negotiating the driver interface version: the vboxguest driver") &&
                       strstr(log, "refused the request: Inappropriate ioctl"),
               "naming the step and the driver's answer");
        if (fd >= 0)
                close(fd);
        close(tmp);
        unlink(path);

        r = vbox_device_open("/nonexistent/vboxguest", &fd, &t);
        tap_ok(r == -ENOENT, "no device: -ENOENT for the caller to explain");
}

static int delete(struct vbox_fake *f, char **log)
{
        struct vbox_transport t = { .ioctl = vbox_fake_ioctl, .ctx = f };
        int r;

        capture();
        r = virtualbox_delete_properties(&t, DEV);
        *log = captured();
        return r;
}

static void test_delete(void)
{
        struct vbox_fake f = { .names = { "/Ignition/Config", "/Ignition/Config/Encoding", "/Other" },
                               .values = { CONFIG, "", "kept" } };
        struct fetched_config out;
        char *log;
        int r = delete(&f, &log);

        tap_ok(r == 0 && clean(&f), "delete-config: both properties deleted, r=%d", r);
        tap_ok(strcmp(f.asked, "del:/Ignition/Config/Encoding;del:/Ignition/Config;") == 0,
               "the encoding first, then the config: %s", f.asked);
        tap_ok(strstr(log, "deleted the guest properties /Ignition/Config and /Ignition/Config/Encoding") != NULL,
               "and said so");
        tap_ok(strcmp(f.names[2], "/Other") == 0, "other properties are left alone");
        f.connects = f.disconnects = 0;
        r = fetch(&f, &out, &log);
        tap_ok(r == 0 && !out.data, "a fetch afterwards finds no config");
        fetched_config_free(&out);

        struct vbox_fake g = { .names = { "/Other" }, .values = { "x" } };
        r = delete(&g, &log);
        tap_ok(r == 0 && clean(&g), "delete-config when neither is set: done, no error");
}

static void test_delete_refused(void)
{
        struct vbox_fake f = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .flags = { "RDONLYGUEST" } };
        char *log;
        int r = delete(&f, &log);

        tap_ok(r == -EACCES && clean(&f), "a property read-only for the guest: an error, r=%d", r);
        tap_ok(strstr(log, "deleting the guest property /Ignition/Config: the host answered VERR_PERMISSION_DENIED: "
                           "it was set read-only for the guest") != NULL, "naming the property and why");
        tap_ok(!strstr(log, "vbox-secret"), "the config is not logged");

        struct vbox_fake g = { .names = { "/Ignition/Config" }, .values = { CONFIG }, .fail = true, .fail_nr = 7,
                               .fail_skip = 1, .fail_errno = EIO };
        r = delete(&g, &log);
        tap_ok(r == -EIO && g.violations == 0 && g.client == 0 && strcmp(g.names[0], "/Ignition/Config") == 0,
               "the driver refuses the second call: an error, the config left as it was, disconnected");
        tap_ok(strstr(log, "deleting the guest property /Ignition/Config: the vboxguest driver (" DEV
                           ") refused the call: Input/output error") != NULL, "naming the step");
}

int main(void)
{
        test_plain();
        test_flags();
        test_grow();
        test_growing();
        test_missing();
        test_encoding();
        test_failed_ioctls();
        test_host_errors();
        test_bad_replies();
        test_too_large();
        test_disconnect_fails();
        test_not_the_device();
        test_delete();
        test_delete_refused();
        return tap_done();
}
