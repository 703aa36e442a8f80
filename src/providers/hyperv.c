/* SPDX-License-Identifier: Apache-2.0 */
/* Hyper-V: the config from the key-value pairs the host pushes into the
 * guest's external pool (Set-VMKeyValuePair, or Msvm_KvpExchangeDataItem),
 * read by registering as the KVP daemon on hv_utils' device
 * (hyperv-kvp.c). The value of "ignition.config", or, for configs longer
 * than one value holds, "ignition.config.0", ".1", ... joined in order.
 *
 * The host pushes the pairs once per boot: the real root's hv_kvp_daemon
 * will never see them, so the pools are written into the target as its
 * files (/var/lib/hyperv/.kvp_pool_<n>, mode 0600 since they hold the
 * config), as Ignition does; and a second fetch stage in the same boot
 * reads them from the state directory instead of the device. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/exec.h"
#include "ignis/log.h"
#include "ignis/rootfs.h"
#include "ignis/util.h"
#include "hyperv-kvp.h"
#include "internal.h"

#define WHO "platform hyperv"
#define DEFAULT_DEVICE "/dev/vmbus/hv_kvp"
#define POOL_DIR "/var/lib/hyperv"
#define SINGLE_KEY "ignition.config"
#define SPLIT_PREFIX "ignition.config."
#define SAVED_DIR "hyperv-kvp"

/* modprobe hv_utils; on a VM whose host offers KVP the driver then makes
 * the device, which may take a moment after the module is in. */
static void load_driver(const char *dev)
{
        char *argv[] = { "modprobe", "hv_utils", NULL };
        struct exec_result res;
        struct stat st;

        if (exec_run(argv, NULL, &res) < 0)
                return;
        if (res.status != 0) {
                size_t l = res.err ? strlen(res.err) : 0;
                while (l > 0 && res.err[l - 1] == '\n')
                        res.err[--l] = '\0';
                log_warning("%s: modprobe hv_utils failed (exit status %d): %s", WHO, res.status,
                            res.err ? res.err : "");
                exec_result_free(&res);
                return;
        }
        exec_result_free(&res);
        for (int i = 0; i < 50 && stat(dev, &st) < 0; i++)
                nanosleep(&(struct timespec) { .tv_nsec = 100 * 1000 * 1000 }, NULL);
}

static int open_device(const char *dev)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct stat st;
        int fd;

        if (stat(dev, &st) < 0 && errno == ENOENT && strcmp(dev, DEFAULT_DEVICE) == 0)
                load_driver(dev);
        if (stat(dev, &st) < 0) {
                if (errno == ENOENT)
                        return log_error_errno(ENODEV, "%s: not a Hyper-V VM, or the host offers no key-value "
                                               "pair exchange: %s does not exist (hv_utils not loaded?)", WHO,
                                               dev);
                return log_error_errno(errno, "%s: cannot stat %s: %m", WHO, dev);
        }
        if (!S_ISSOCK(st.st_mode)) {
                fd = open(dev, O_RDWR | O_CLOEXEC);
                if (fd < 0)
                        return log_error_errno(errno, "%s: cannot open %s: %m%s", WHO, dev,
                                               errno == EBUSY ? " (another KVP daemon, hv_kvp_daemon, has it)" : "");
                return fd;
        }
        /* A unix socket where the device should be: the tests' model of the
         * driver (this machine is no Hyper-V guest). SOCK_SEQPACKET keeps
         * the device's one message per read() and write(). */
        if (strlen(dev) >= sizeof(sa.sun_path))
                return log_error_errno(ENAMETOOLONG, "%s: %s: path too long for a socket", WHO, dev);
        strcpy(sa.sun_path, dev);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(errno, "%s: cannot make a socket: %m", WHO);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                int e = errno;
                close(fd);
                return log_error_errno(e, "%s: cannot connect to %s: %s", WHO, dev, strerror(e));
        }
        return fd;
}

/* The pools a fetch stage of this boot kept: 1 when found, 0 when not. */
static int load_saved(struct kvp_pools *p)
{
        const char *state = provider_state_dir();
        _cleanup_free_ char *dir = NULL;

        if (!state)
                return 0;
        dir = xasprintf("%s/" SAVED_DIR, state);
        for (unsigned i = 0; i < KVP_POOL_COUNT; i++) {
                _cleanup_free_ char *path = xasprintf("%s/.kvp_pool_%u", dir, i), *data = NULL;
                size_t len;
                int r = read_full_file(path, 64 * 1024 * 1024, &data, &len);

                if (r == -ENOENT && i == 0)
                        return 0;
                if (r >= 0)
                        r = kvp_pool_decode(p, i, data, len);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot read the key-value pairs kept in %s: %m", WHO, path);
        }
        log_info("%s: using the key-value pairs read from the host earlier in this boot (kept in %s)", WHO, dir);
        return 1;
}

static int save(const struct kvp_pools *p)
{
        const char *state = provider_state_dir();
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1;
        int r;

        if (!state)
                return 0;
        dir = xasprintf("%s/" SAVED_DIR, state);
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "%s: cannot create %s: %m", WHO, dir);
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(errno, "%s: cannot open %s: %m", WHO, dir);
        /* Pool 0 last: its presence says the set is complete. */
        for (unsigned i = KVP_POOL_COUNT; i-- > 0;) {
                _cleanup_free_ char *name = xasprintf(".kvp_pool_%u", i), *data = NULL;
                size_t len;

                kvp_pool_encode(p, i, &data, &len);
                r = root_write_file(dfd, name, data, len, 0600, 0, 0);
                if (r < 0)
                        return log_error_errno(r, "%s: cannot keep the key-value pairs in %s/%s: %m", WHO, dir,
                                               name);
        }
        return 0;
}

/* "ignition.config.N" with N a decimal number without leading zeros: N,
 * else -1. */
static long split_index(const char *key)
{
        const char *n = key + strlen(SPLIT_PREFIX);
        char *end;
        long i;

        if (strncmp(key, SPLIT_PREFIX, strlen(SPLIT_PREFIX)) != 0 || *n < '0' || *n > '9' ||
            (n[0] == '0' && n[1]) || strlen(n) > 6)
                return -1;
        i = strtol(n, &end, 10);
        return *end ? -1 : i;
}

/* The config from the external pool: "ignition.config" if set and not
 * empty (as Ignition), else the split keys in order. Ignition stops at the
 * first missing part and parses what it has; a gap is refused here
 * instead, naming the missing key, since the result could only be a
 * truncated config. */
static int assemble(const struct kvp_pools *p, struct fetched_config *out)
{
        const struct kvp_pair *pairs = p->v[KVP_POOL_EXTERNAL];
        size_t n = p->n[KVP_POOL_EXTERNAL], parts = 0, len = 0;
        const char *single = kvp_get(p, KVP_POOL_EXTERNAL, SINGLE_KEY);
        _cleanup_free_ const char **order = NULL;
        long max = -1;

        if (single && *single) {
                out->data = xstrdup(single);
                out->len = strlen(single);
                out->source = xstrdup("Hyper-V KVP key " SINGLE_KEY);
                return 0;
        }
        for (size_t j = 0; j < n; j++) {
                long i = split_index(pairs[j].key);
                if (i >= 0) {
                        parts++;
                        max = i > max ? i : max;
                }
        }
        if (parts == 0) {
                log_info("%s: the host set no %s key (%zu other pair(s) in the external pool): no config", WHO,
                         SINGLE_KEY, n);
                return 0;
        }
        order = xcalloc((size_t) max + 1, sizeof(char *));
        for (size_t j = 0; j < n; j++) {
                long i = split_index(pairs[j].key);
                if (i >= 0) {
                        order[i] = pairs[j].value;
                        len += strlen(pairs[j].value);
                }
        }
        for (long i = 0; i <= max; i++)
                if (!order[i])
                        return log_error_errno(EINVAL, "%s: the config is split over the KVP keys %s0 to %s%ld, "
                                               "but %s%ld is missing: refusing a config with a gap", WHO,
                                               SPLIT_PREFIX, SPLIT_PREFIX, max, SPLIT_PREFIX, i);
        out->data = xmalloc(len + 1);
        out->len = 0;
        for (long i = 0; i <= max; i++) {
                size_t l = strlen(order[i]);
                memcpy(out->data + out->len, order[i], l);
                out->len += l;
        }
        out->data[out->len] = '\0';
        out->source = max ? xasprintf("Hyper-V KVP keys %s0 to %s%ld", SPLIT_PREFIX, SPLIT_PREFIX, max)
                          : xstrdup("Hyper-V KVP key " SPLIT_PREFIX "0");
        return 0;
}

/* Every pool, as hv_kvp_daemon would have written it (Ignition writes
 * all of them too, 0600: the daemon keeps an existing file's mode). */
static void add_pool_files(const struct kvp_pools *p, struct fetched_config *out)
{
        out->files = xcalloc(KVP_POOL_COUNT, sizeof(struct provider_file));
        for (unsigned i = 0; i < KVP_POOL_COUNT; i++) {
                struct provider_file *f = &out->files[out->n_files++];
                f->path = xasprintf(POOL_DIR "/.kvp_pool_%u", i);
                f->mode = 0600;
                kvp_pool_encode(p, i, &f->data, &f->len);
        }
}

static int hyperv_fetch(struct fetched_config *out)
{
        const char *dev = provider_hyperv_kvp_device();
        struct kvp_pools pools = {};
        int r, fd;

        *out = (struct fetched_config) {};
        r = load_saved(&pools);
        if (r == 0) {
                fd = open_device(dev);
                if (fd < 0) {
                        r = fd;
                        goto out;
                }
                r = kvp_exchange(fd, (int) provider_hyperv_quiet_ms(), &pools);
                close(fd);
                if (r >= 0)
                        r = save(&pools);
        }
        if (r >= 0)
                r = assemble(&pools, out);
        if (r >= 0)
                add_pool_files(&pools, out);
out:
        kvp_pools_free(&pools);
        return r < 0 ? r : 0;
}

const struct provider provider_hyperv = { "hyperv", hyperv_fetch, false };
