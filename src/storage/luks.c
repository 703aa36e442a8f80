/* SPDX-License-Identifier: Apache-2.0 */
/* storage.luks: LUKS2 volumes with libcryptsetup, Ignition's rules.
 *
 * Per volume, in config order: the key (the keyFile resource, or 4096
 * random bytes hex-encoded when there is none); without wipeVolume an
 * existing LUKS2 header is reused only when the config names a key file,
 * has no Clevis pins, its label, UUID and discard flag match and the key
 * opens it; anything else on the device is refused. Otherwise the
 * signatures are erased (wipeVolume), the header written, a key slot
 * added, the volume opened with its open flags stored in the header
 * (luksOpen --persistent), and Clevis pins bound with `clevis luks bind`.
 *
 * What the files stage writes into the target (/etc/luks/NAME, the
 * crypttab line) is left in STATE_DIR/luks/ by this stage: the target is
 * not mounted yet, and may live on these very volumes. */

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libcryptsetup.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/exec.h"
#include "ignis/fetch.h"
#include "ignis/log.h"
#include "ignis/rootfs.h"
#include "ignis/storage.h"
#include "ignis/util.h"
#include "luks-internal.h"
#include "storage-internal.h"

/* cryptsetup's own limit for a key file (--keyfile-size default). */
#define LUKS_KEY_MAX (8u * 1024 * 1024)
#define LUKS_GENERATED_BYTES 4096

static inline void crypt_freep(struct crypt_device **cd)
{
        if (*cd)
                sym_crypt_free(*cd);
}
#define _cleanup_crypt_ _cleanup_(crypt_freep)

struct luks_key {
        char *data;
        size_t len;
        bool generated;
};

static void key_free(struct luks_key *k)
{
        if (k->data) {
                explicit_bzero(k->data, k->len);
                free(k->data);
        }
        *k = (struct luks_key) {};
}

static bool has_key_file(const struct ig_luks *l)
{
        return l->key_file.source && *l->key_file.source;
}

static bool needs_network(const struct ig_luks *l)
{
        return l->clevis.tang.n > 0 || ig_bool_or(l->clevis.custom.needs_network, false);
}

static int get_key(const struct ig_luks *l, const char *what, struct luks_key *k)
{
        _cleanup_free_ char *what_key = xasprintf("%s keyFile", what);
        unsigned char raw[LUKS_GENERATED_BYTES];
        size_t got = 0;
        int r;

        *k = (struct luks_key) {};
        if (has_key_file(l)) {
                r = fetch_to_memory(&l->key_file, what_key, LUKS_KEY_MAX, &k->data, &k->len);
                if (r < 0)
                        return r;       /* logged, naming the entry */
                if (k->len == 0)
                        return log_error_errno(EINVAL, "%s: the key file is empty", what);
                return 0;
        }
        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return log_error_errno(errno, "%s: cannot generate a key: %m", what);
                }
                got += (size_t) n;
        }
        /* Hex, as Ignition generates it: clevis has trouble with binary
         * keys, and the key ends up in a text-safe file anyway. */
        k->len = 2 * sizeof(raw);
        k->data = xmalloc(k->len + 1);
        for (size_t i = 0; i < sizeof(raw); i++) {
                static const char hex[] = "0123456789abcdef";
                k->data[2 * i] = hex[raw[i] >> 4];
                k->data[2 * i + 1] = hex[raw[i] & 15];
        }
        k->data[k->len] = '\0';
        k->generated = true;
        explicit_bzero(raw, sizeof(raw));
        return 0;
}

int storage_luks_check(const struct ig_config *c)
{
        const struct ig_storage *s = &c->storage;
        int r = 0;

        for (size_t i = 0; i < s->luks.n; i++) {
                const struct ig_luks *l = &s->luks.v[i];
                _cleanup_free_ char *what = storage_entry("luks", i, l->name);
                struct luks_format_opts fo;
                uint32_t flags = 0;

                if (luks_parse_format_options(&l->options, what, &fo) < 0)
                        r = -EINVAL;
                if (luks_parse_open_options(&l->open_options, what, &flags) < 0)
                        r = -EINVAL;
                if (ig_bool_or(l->cex.enabled, false))
                        r = log_error_errno(EOPNOTSUPP, "%s: cex (IBM CEX secure keys, s390x) is not supported by "
                                            "ignis", what);
                /* A key that fails its hash is found here, before the
                 * first volume (or array) is made. Remote keys are checked
                 * when fetched. */
                if (has_key_file(l) && fetch_is_local(&l->key_file)) {
                        struct luks_key k;
                        if (get_key(l, what, &k) < 0)
                                r = -EINVAL;
                        key_free(&k);
                }
                if (clevis_check(l, what) < 0)
                        r = -ENOENT;
        }
        return r;
}

static int apply_format_opts(struct crypt_device *cd, const struct luks_format_opts *fo, const char *what)
{
        struct crypt_pbkdf_type pbkdf;
        const struct crypt_pbkdf_type *def;
        int r;

        if (fo->use_random)
                sym_crypt_set_rng_type(cd, CRYPT_RNG_RANDOM);
        if (fo->metadata_size || fo->keyslots_size) {
                r = sym_crypt_set_metadata_size(cd, fo->metadata_size, fo->keyslots_size);
                if (r < 0)
                        return log_error_errno(r, "%s: options: invalid LUKS2 metadata/keyslots size: %m", what);
        }
        if (fo->offset_sectors) {
                r = sym_crypt_set_data_offset(cd, fo->offset_sectors);
                if (r < 0)
                        return log_error_errno(r, "%s: options: invalid --offset: %m", what);
        }
        if (!fo->pbkdf && !fo->hash && !fo->iter_time_ms && !fo->pbkdf_memory_kb && !fo->pbkdf_parallel &&
            !fo->pbkdf_iterations)
                return 0;
        def = sym_crypt_get_pbkdf_default(CRYPT_LUKS2);
        pbkdf = def ? *def : (struct crypt_pbkdf_type) { .type = CRYPT_KDF_ARGON2ID, .hash = "sha256" };
        if (fo->pbkdf)
                pbkdf.type = fo->pbkdf;
        if (fo->hash)
                pbkdf.hash = fo->hash;
        if (strcmp(pbkdf.type, CRYPT_KDF_PBKDF2) == 0) {
                pbkdf.max_memory_kb = 0;
                pbkdf.parallel_threads = 0;
        } else {
                if (fo->pbkdf_memory_kb)
                        pbkdf.max_memory_kb = fo->pbkdf_memory_kb;
                if (fo->pbkdf_parallel)
                        pbkdf.parallel_threads = fo->pbkdf_parallel;
                if (!pbkdf.max_memory_kb)
                        pbkdf.max_memory_kb = 1048576;
                if (!pbkdf.parallel_threads)
                        pbkdf.parallel_threads = 4;
        }
        if (fo->iter_time_ms)
                pbkdf.time_ms = fo->iter_time_ms;
        if (fo->pbkdf_iterations) {
                pbkdf.iterations = fo->pbkdf_iterations;
                pbkdf.flags |= CRYPT_PBKDF_NO_BENCHMARK;
        }
        r = sym_crypt_set_pbkdf_type(cd, &pbkdf);
        if (r < 0)
                return log_error_errno(r, "%s: options: the key derivation settings are refused by libcryptsetup: %m",
                                       what);
        return 0;
}

/* How far try_reuse goes with a header it may reuse. */
enum reuse_mode {
        REUSE_OPEN,             /* the stage: open it */
        REUSE_TRY_KEY,          /* ignis plan: try the key, open nothing */
        REUSE_HEADER,           /* the checks ahead of the stage: the header only (the step tries the key) */
};

/* Ignition's reuse rules; 0 when reused (and opened, or as far as mode
 * says), -ESTALE when the device holds no LUKS2 header, another negative
 * errno (logged) when it holds one that must not be reused. */
static int try_reuse(const struct ig_luks *l, const char *dev, const char *what, const struct luks_key *k,
                     uint32_t flags, enum reuse_mode mode)
{
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        const char *have;
        uint32_t pflags = 0;
        int r;

        r = sym_crypt_init(&cd, dev);
        if (r < 0)
                return log_error_errno(r, "%s: cannot open %s: %m", what, l->device);
        if (sym_crypt_load(cd, CRYPT_LUKS2, NULL) < 0) {
                if (sym_crypt_load(cd, CRYPT_LUKS1, NULL) >= 0)
                        return log_error_errno(EEXIST, "%s: %s holds a LUKS1 volume, which is never reused, and "
                                               "wipeVolume is not set", what, l->device);
                return -ESTALE;
        }
#define REFUSE(...) log_error_errno(EEXIST, "%s: %s holds a LUKS2 volume that cannot be reused (set wipeVolume to " \
                                    "replace it): " __VA_ARGS__)
        if (luks_has_clevis(l))
                return REFUSE("the config binds Clevis pins", what, l->device);
        if (!has_key_file(l))
                return REFUSE("the config has no keyFile to open it with", what, l->device);
        have = sym_crypt_get_label(cd);
        if (l->label && strcmp(l->label, have ? have : "") != 0)
                return REFUSE("label \"%s\", not \"%s\"", what, l->device, have ? have : "", l->label);
        have = sym_crypt_get_uuid(cd);
        if (l->uuid && strcasecmp(l->uuid, have ? have : "") != 0)
                return REFUSE("UUID %s, not %s", what, l->device, have ? have : "", l->uuid);
        (void) sym_crypt_persistent_flags_get(cd, CRYPT_FLAGS_ACTIVATION, &pflags);
        if (!!(pflags & CRYPT_ACTIVATE_ALLOW_DISCARDS) != ig_bool_or(l->discard, false))
                return REFUSE("allow-discards is %s in the header", what, l->device,
                              pflags & CRYPT_ACTIVATE_ALLOW_DISCARDS ? "on" : "off");
        if (mode == REUSE_HEADER)
                return 0;
        /* Without a name libcryptsetup only checks the key. */
        r = sym_crypt_activate_by_passphrase(cd, mode == REUSE_TRY_KEY ? NULL : l->name, CRYPT_ANY_SLOT, k->data,
                                             k->len, flags);
        if (r < 0)
                return REFUSE("the key file does not open it (%s)", what, l->device, strerror(-r));
#undef REFUSE
        if (mode == REUSE_TRY_KEY)
                return 0;
        if (flags)
                (void) sym_crypt_persistent_flags_set(cd, CRYPT_FLAGS_ACTIVATION, flags);
        log_info("%s: reusing the LUKS2 volume on %s, opened as /dev/mapper/%s", what, l->device, l->name);
        return 0;
}

/* Without wipeVolume: 0 when the volume is reused, -ESTALE when the device
 * is empty and gets a new one, another negative errno (logged) when the
 * stage refuses what it holds. */
static int decide_reuse(const struct ig_luks *l, const char *dev, const char *what, const struct luks_key *k,
                        uint32_t flags, enum reuse_mode mode)
{
        struct probe_info p;
        int r, e;

        r = try_reuse(l, dev, what, k, flags, mode);
        if (r != -ESTALE)
                return r;
        e = storage_probe(dev, &p);
        if (e < 0)
                r = log_error_errno(e, "%s: cannot read %s: %m", what, l->device);
        else if (p.type)
                r = log_error_errno(EEXIST, "%s: %s holds %s and wipeVolume is not set", what, l->device, p.type);
        probe_info_free(&p);
        return r;
}

static int format_and_open(const struct ig_luks *l, const char *dev, const char *what, const struct luks_key *k,
                           const struct luks_format_opts *fo, uint32_t flags)
{
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        _cleanup_free_ char *cipher = xstrdup(fo->cipher ? fo->cipher : "aes-xts-plain64");
        char *mode = strchr(cipher, '-');
        struct crypt_params_luks2 params = {
                .integrity = fo->integrity,
                .sector_size = fo->sector_size,
                .label = l->label && *l->label ? l->label : fo->label,
                .subsystem = fo->subsystem,
                .data_alignment = fo->align_sectors,
        };
        const char *uuid = l->uuid && *l->uuid ? l->uuid : fo->uuid;
        size_t key_bytes = fo->key_size_bits ? fo->key_size_bits / 8 : 64;
        int r, slot;

        *mode++ = '\0';
        r = sym_crypt_init(&cd, dev);
        if (r < 0)
                return log_error_errno(r, "%s: cannot open %s: %m", what, l->device);
        r = apply_format_opts(cd, fo, what);
        if (r < 0)
                return r;
        log_info("%s: formatting %s as LUKS2 (%s-%s, %zu-bit key)", what, l->device, cipher, mode, key_bytes * 8);
        r = sym_crypt_format(cd, CRYPT_LUKS2, cipher, mode, uuid, NULL, key_bytes, &params);
        if (r < 0)
                return log_error_errno(r, "%s: writing the LUKS2 header on %s failed: %m", what, l->device);
        slot = sym_crypt_keyslot_add_by_volume_key(cd, CRYPT_ANY_SLOT, NULL, 0, k->data, k->len);
        if (slot < 0)
                return log_error_errno(slot, "%s: adding the key to %s failed: %m", what, l->device);
        if (flags) {
                r = sym_crypt_persistent_flags_set(cd, CRYPT_FLAGS_ACTIVATION, flags);
                if (r < 0)
                        return log_error_errno(r, "%s: storing the open flags in the header failed: %m", what);
        }
        r = sym_crypt_activate_by_passphrase(cd, l->name, slot, k->data, k->len, flags);
        if (r < 0)
                return log_error_errno(r, "%s: opening %s as /dev/mapper/%s failed: %m", what, l->device, l->name);
        log_info("%s: opened as /dev/mapper/%s", what, l->name);
        sym_crypt_free(TAKE_PTR(cd));

        if (!luks_has_clevis(l))
                return 0;
        r = clevis_bind(l, dev, what, k->data, k->len);
        if (r < 0)
                return r;
        if (k->generated) {
                /* Only Clevis opens it from now on, as Ignition leaves it. */
                r = sym_crypt_init(&cd, dev);
                if (r >= 0)
                        r = sym_crypt_load(cd, CRYPT_LUKS2, NULL);
                if (r >= 0)
                        r = sym_crypt_keyslot_destroy(cd, slot);
                if (r < 0)
                        return log_error_errno(r, "%s: removing the generated key from %s failed: %m", what, l->device);
        }
        return 0;
}

static int write_state_file(int dfd, const char *name, const void *data, size_t len, const char *what)
{
        int r = root_write_file(dfd, name, data, len, 0600, 0, 0);

        if (r < 0)
                return log_error_errno(r, "%s: cannot write the state file %s: %m", what, name);
        return 0;
}

/* What the files stage needs: the key (unless only Clevis opens the
 * volume) and the crypttab line. */
static int save_for_target(const struct ig_luks *l, const char *dev, const char *what, const struct luks_key *k,
                           int dfd)
{
        _cleanup_crypt_ struct crypt_device *cd = NULL;
        _cleanup_free_ char *line = NULL, *keyname = xasprintf("%s.key", l->name), *tabname = NULL;
        bool keep_key = !(k->generated && luks_has_clevis(l));
        const char *uuid;
        int r;

        r = sym_crypt_init(&cd, dev);
        if (r >= 0)
                r = sym_crypt_load(cd, CRYPT_LUKS2, NULL);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read back the header of %s: %m", what, l->device);
        uuid = sym_crypt_get_uuid(cd);
        if (keep_key) {
                r = write_state_file(dfd, keyname, k->data, k->len, what);
                if (r < 0)
                        return r;
        }
        line = xasprintf("%s UUID=%s %s%s luks%s,x-initrd.attach\n", l->name, uuid ? uuid : "",
                         keep_key ? "/etc/luks/" : "none", keep_key ? l->name : "", needs_network(l) ? ",_netdev" : "");
        tabname = xasprintf("%s.crypttab", l->name);
        return write_state_file(dfd, tabname, line, strlen(line), what);
}

int storage_luks_apply(const struct ig_config *c, const struct storage_options *o)
{
        const struct ig_storage *s = &c->storage;
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int dfd = -1;
        int r;

        if (s->luks.n == 0)
                return 0;
        r = storage_luks_check(c);
        if (r < 0)
                return r;
        r = dlopen_cryptsetup();
        if (r < 0)
                return log_error_errno(r, "$.storage.luks: LUKS volumes need libcryptsetup, which cannot be loaded");
        dir = xasprintf("%s/luks", o->state_dir);
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", dir);

        for (size_t i = 0; i < s->luks.n; i++) {
                const struct ig_luks *l = &s->luks.v[i];
                _cleanup_free_ char *what = storage_entry("luks", i, l->name);
                _cleanup_free_ char *dev = NULL;
                struct luks_format_opts fo;
                struct luks_key k;
                uint32_t flags = ig_bool_or(l->discard, false) ? CRYPT_ACTIVATE_ALLOW_DISCARDS : 0;

                /* A device an earlier step made (a partition, an array)
                 * is awaited and pinned here. */
                r = storage_device_wait(o, l->device, what);
                if (r < 0)
                        return r;
                dev = storage_device_alias(o, l->device);
                (void) luks_parse_format_options(&l->options, what, &fo);
                (void) luks_parse_open_options(&l->open_options, what, &flags);
                r = get_key(l, what, &k);
                if (r < 0)
                        return r;
                if (!ig_bool_or(l->wipe_volume, false))
                        r = decide_reuse(l, dev, what, &k, flags, REUSE_OPEN);
                else
                        r = storage_wipe(dev, what) < 0 ? -EIO : -ESTALE;
                if (r == -ESTALE)
                        r = format_and_open(l, dev, what, &k, &fo, flags);
                if (r >= 0)
                        r = save_for_target(l, dev, what, &k, dfd);
                key_free(&k);
                if (r < 0)
                        return r;
                (void) storage_udev_settle(dev);
        }
        return 0;
}

/* Appends line to the target's /etc/crypttab unless a line for the same
 * volume name is there already (a rerun). */
static int crypttab_add(int etcfd, const char *name, const char *line)
{
        _cleanup_free_ char *text = NULL, *out = NULL;
        _cleanup_close_ int fd = -1;
        size_t len = 0, nl = strlen(name);
        int r;

        fd = openat(etcfd, "crypttab", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                r = read_full_fd(fd, 1u << 20, &text, &len);
                if (r < 0)
                        return r;
                for (const char *p = text; p && *p;) {
                        const char *q = p + strspn(p, " \t");
                        if (strncmp(q, name, nl) == 0 && (q[nl] == ' ' || q[nl] == '\t'))
                                return 0;
                        p = strchr(p, '\n');
                        p = p ? p + 1 : NULL;
                }
        } else if (errno != ENOENT)
                return -errno;
        out = xasprintf("%s%s%s", text ? text : "", len && text[len - 1] != '\n' ? "\n" : "", line);
        return root_write_file(etcfd, "crypttab", out, strlen(out), 0644, 0, 0);
}

int storage_luks_persist(const struct ig_config *c, const char *state_dir, const char *root)
{
        const struct ig_storage *s = &c->storage;
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int sfd = -1, etcfd = -1, keysfd = -1;
        struct root r;
        const char *name;
        int e = 0;

        if (s->luks.n == 0)
                return 0;
        dir = xasprintf("%s/luks", state_dir);
        sfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sfd < 0)
                return log_error_errno(errno, "Cannot open %s (did the disks stage run?): %m", dir);
        e = root_open(root, &r);
        if (e < 0)
                return log_error_errno(e, "Cannot open the target root %s: %m", root);
        etcfd = root_open_parent(&r, "/etc/luks/x", true, NULL, &name);
        if (etcfd < 0) {
                e = log_error_errno(etcfd, "Cannot create /etc/luks in %s: %m", root);
                goto out;
        }
        /* The keys' directory is 0700 (root_open_parent made it 0755). */
        if (fchmodat(etcfd, ".", 0700, 0) < 0 && errno != ENOENT)
                log_debug("fchmodat /etc/luks: %m");
        keysfd = TAKE_FD(etcfd);
        etcfd = root_open_parent(&r, "/etc/crypttab", false, NULL, &name);
        if (etcfd < 0) {
                e = log_error_errno(etcfd, "Cannot open /etc in %s: %m", root);
                goto out;
        }
        for (size_t i = 0; i < s->luks.n && e >= 0; i++) {
                const struct ig_luks *l = &s->luks.v[i];
                _cleanup_free_ char *what = storage_entry("luks", i, l->name);
                _cleanup_free_ char *keyname = xasprintf("%s.key", l->name), *tabname = xasprintf("%s.crypttab", l->name);
                _cleanup_free_ char *key = NULL, *line = NULL;
                _cleanup_close_ int kfd = -1, tfd = -1;
                size_t klen = 0, tlen = 0;

                tfd = openat(sfd, tabname, O_RDONLY | O_CLOEXEC);
                if (tfd < 0 || read_full_fd(tfd, 4096, &line, &tlen) < 0) {
                        e = log_error_errno(ENOENT, "%s: the disks stage left no crypttab line in %s", what, dir);
                        break;
                }
                kfd = openat(sfd, keyname, O_RDONLY | O_CLOEXEC);
                if (kfd >= 0) {
                        e = read_full_fd(kfd, LUKS_KEY_MAX, &key, &klen);
                        if (e >= 0)
                                e = root_write_file(keysfd, l->name, key, klen, 0600, 0, 0);
                        if (key)
                                explicit_bzero(key, klen);
                        if (e < 0) {
                                e = log_error_errno(e, "%s: cannot write /etc/luks/%s: %m", what, l->name);
                                break;
                        }
                        log_info("%s: key written to /etc/luks/%s", what, l->name);
                }
                e = crypttab_add(etcfd, l->name, line);
                if (e < 0) {
                        e = log_error_errno(e, "%s: cannot write /etc/crypttab: %m", what);
                        break;
                }
                log_info("%s: /etc/crypttab: %.*s", what, (int) strcspn(line, "\n"), line);
                /* The key has been persisted; it does not stay in /run. */
                if (kfd >= 0)
                        (void) unlinkat(sfd, keyname, 0);
        }
out:
        root_close(&r);
        return e;
}

/* A volume on a partition the plan keeps or makes but whose node the
 * kernel does not have there yet: libcryptsetup reads headers from a
 * device, so the signature at the partition's place decides what can be
 * decided before the write; a LUKS2 header there is left to the step. */
static int check_ahead(const struct ig_luks *l, const struct locus *at, const char *what)
{
        struct probe_info p;
        int r;

        r = storage_probe_range(at->path, at->offset, at->size, &p);
        if (r < 0)
                return log_error_errno(r, "%s: cannot read %s: %m", what, l->device);
        if (p.type && strcmp(p.type, "crypto_LUKS") == 0 && p.version && strcmp(p.version, "1") == 0)
                r = log_error_errno(EEXIST, "%s: %s (partition %u of %s as the plan leaves it) holds a LUKS1 volume, "
                                    "which is never reused, and wipeVolume is not set", what, l->device, at->number,
                                    at->disk_device);
        else if (p.type && strcmp(p.type, "crypto_LUKS") != 0)
                r = log_error_errno(EEXIST, "%s: %s (partition %u of %s as the plan leaves it) holds %s and wipeVolume "
                                    "is not set", what, l->device, at->number, at->disk_device, p.type);
        else if (!p.type)
                r = -ESTALE;
        probe_info_free(&p);
        return r;
}

/* A volume on a device the partition plan has a say about (layout):
 * *handled false when it has none. Returns -ESTALE when nothing is there
 * (a new volume is made), 0 when a LUKS2 header is there that the step may
 * reuse (the key is tried then), another negative errno (logged) when the
 * stage refuses it. */
static int check_one_ahead(const struct storage_layout *layout, const struct ig_luks *l, const char *what,
                           bool *handled)
{
        _cleanup_free_ char *dev = NULL;
        struct locus at;

        storage_layout_locate(layout, l->device, &at);
        dev = at.path;
        *handled = at.kind != LOCUS_ELSEWHERE;
        switch (at.kind) {
        case LOCUS_ELSEWHERE:
                return 0;
        case LOCUS_PARTITIONED_DISK:
                return log_error_errno(EINVAL, "%s: %s is the whole disk that %s partitions (%u partition%s after "
                                       "the partition step): a LUKS header on it would overwrite the partition "
                                       "table; name a partition instead", what, l->device, at.disk_where, at.number,
                                       at.number == 1 ? "" : "s");
        case LOCUS_MISSING:
                return log_error_errno(ENOENT, "%s: %s names no partition the plan of %s leaves", what, l->device,
                                       at.disk_where);
        case LOCUS_PARTITION:
                break;
        }
        if (ig_bool_or(l->wipe_volume, false))
                return -ESTALE;
        if (at.offset > 0 || at.size > 0)
                return check_ahead(l, &at, what);
        return decide_reuse(l, dev, what, NULL, 0, REUSE_HEADER);
}

int storage_luks_check_devices(const struct ig_config *c, const struct storage_options *o,
                               const struct storage_layout *layout)
{
        const struct ig_storage *s = &c->storage;
        int r = 0;

        if (s->luks.n == 0)
                return 0;
        if (dlopen_cryptsetup() < 0)
                return log_error_errno(ENOENT, "$.storage.luks: LUKS volumes need libcryptsetup, which cannot be "
                                       "loaded");
        for (size_t i = 0; i < s->luks.n; i++) {
                const struct ig_luks *l = &s->luks.v[i];
                _cleanup_free_ char *what = storage_entry("luks", i, l->name), *dev = NULL;
                bool handled;
                int e;

                if (!l->device)
                        continue;
                e = check_one_ahead(layout, l, what, &handled);
                if (!handled && !ig_bool_or(l->wipe_volume, false) && !storage_device_created(c, l->device)) {
                        dev = storage_device_alias(o, l->device);
                        e = decide_reuse(l, dev, what, NULL, 0, REUSE_HEADER);
                }
                if (e < 0 && e != -ESTALE)
                        r = e;
        }
        return r;
}

int storage_luks_plan(const struct ig_config *c, const struct storage_options *o,
                      const struct storage_layout *layout, struct json_object *out)
{
        const struct ig_storage *s = &c->storage;
        int r = 0;

        if (s->luks.n > 0 && dlopen_cryptsetup() < 0)
                return log_error_errno(ENOENT, "$.storage.luks: LUKS volumes need libcryptsetup, which cannot be "
                                       "loaded");
        for (size_t i = 0; i < s->luks.n; i++) {
                const struct ig_luks *l = &s->luks.v[i];
                _cleanup_free_ char *what = storage_entry("luks", i, l->name), *dev = NULL;
                uint32_t flags = ig_bool_or(l->discard, false) ? CRYPT_ACTIVATE_ALLOW_DISCARDS : 0;
                struct luks_key k = {};
                bool handled;
                int e;

                e = l->device ? check_one_ahead(layout, l, what, &handled) : 0;
                if (l->device && handled) {
                        if (e == -ESTALE)
                                storage_plan_add(out, "luks", what, ig_bool_or(l->wipe_volume, false) ? "wipe" : "create",
                                                 true, xasprintf("LUKS2 on %s (made by an earlier step), opened as "
                                                                 "/dev/mapper/%s; nothing on the partition now",
                                                                 l->device, l->name));
                        else if (e == 0)
                                storage_plan_add(out, "luks", what, "reuse-or-create", true,
                                                 xasprintf("on %s (a partition the plan keeps): a LUKS2 header, reused "
                                                           "if the key opens it", l->device));
                        else
                                r = e;
                        continue;
                }
                if (storage_device_created(c, l->device)) {
                        storage_plan_add(out, "luks", what, "create", true,
                                 xasprintf("LUKS2 on %s (made by an earlier step), opened as /dev/mapper/%s",
                                           l->device, l->name));
                        continue;
                }
                if (ig_bool_or(l->wipe_volume, false)) {
                        storage_plan_add(out, "luks", what, "wipe", true,
                                 xasprintf("%s erased (wipeVolume), LUKS2 made, opened as /dev/mapper/%s", l->device,
                                           l->name));
                        continue;
                }
                dev = storage_device_alias(o, l->device);
                if (access(dev, F_OK) < 0) {
                        r = log_error_errno(ENOENT, "%s: %s is not there", what, l->device);
                        continue;
                }
                /* A remote key is fetched by the stage, not by a plan. */
                if (has_key_file(l) && !fetch_is_local(&l->key_file)) {
                        storage_plan_add(out, "luks", what, "reuse-or-create", true,
                                 xasprintf("on %s: decided when the remote key file is fetched", l->device));
                        continue;
                }
                if (has_key_file(l) && get_key(l, what, &k) < 0) {
                        r = -EINVAL;
                        continue;
                }
                e = decide_reuse(l, dev, what, &k, flags, REUSE_TRY_KEY);
                key_free(&k);
                if (e == 0)
                        storage_plan_add(out, "luks", what, "reuse", false,
                                 xasprintf("the LUKS2 volume on %s, opened as /dev/mapper/%s", l->device, l->name));
                else if (e == -ESTALE)
                        storage_plan_add(out, "luks", what, "create", true,
                                 xasprintf("LUKS2 on the empty %s, opened as /dev/mapper/%s", l->device, l->name));
                else
                        r = e;
        }
        return r;
}
