/* SPDX-License-Identifier: Apache-2.0 */
/* The `cryptsetup luksFormat` and `luksOpen` options a config may carry
 * (storage.luks[].options, .openOptions), mapped onto libcryptsetup's
 * parameters. ignis does not run cryptsetup, so every option must be
 * known here: an unknown one is an error that names it, before any
 * volume is touched. Both "--opt=value" and "--opt", "value" (two list
 * entries, as Ignition passes them through) are accepted. */

#include <errno.h>
#include <libcryptsetup.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "luks-internal.h"

enum opt_kind { OPT_STR, OPT_U32, OPT_U64, OPT_FLAG };

struct opt_def {
        const char *name;
        const char *short_name;
        enum opt_kind kind;
        size_t offset;  /* in struct luks_format_opts */
};

#define O(f) offsetof(struct luks_format_opts, f)
static const struct opt_def format_defs[] = {
        { "--cipher", "-c", OPT_STR, O(cipher) },
        { "--key-size", "-s", OPT_U32, O(key_size_bits) },
        { "--hash", "-h", OPT_STR, O(hash) },
        { "--pbkdf", NULL, OPT_STR, O(pbkdf) },
        { "--iter-time", "-i", OPT_U32, O(iter_time_ms) },
        { "--pbkdf-memory", NULL, OPT_U32, O(pbkdf_memory_kb) },
        { "--pbkdf-parallel", NULL, OPT_U32, O(pbkdf_parallel) },
        { "--pbkdf-force-iterations", NULL, OPT_U32, O(pbkdf_iterations) },
        { "--sector-size", NULL, OPT_U32, O(sector_size) },
        { "--integrity", NULL, OPT_STR, O(integrity) },
        { "--label", NULL, OPT_STR, O(label) },
        { "--subsystem", NULL, OPT_STR, O(subsystem) },
        { "--uuid", NULL, OPT_STR, O(uuid) },
        { "--type", "-M", OPT_STR, O(type) },
        { "--luks2-metadata-size", NULL, OPT_U64, O(metadata_size) },
        { "--luks2-keyslots-size", NULL, OPT_U64, O(keyslots_size) },
        { "--offset", "-o", OPT_U64, O(offset_sectors) },
        { "--align-payload", NULL, OPT_U32, O(align_sectors) },
        { "--use-random", NULL, OPT_FLAG, O(use_random) },
        { "--use-urandom", NULL, OPT_FLAG, O(use_urandom) },
        { "--integrity-no-wipe", NULL, OPT_FLAG, O(integrity_no_wipe) },
};
#undef O

static const struct {
        const char *name;
        uint32_t flag;
} open_defs[] = {
        { "--allow-discards", CRYPT_ACTIVATE_ALLOW_DISCARDS },
        { "--perf-same_cpu_crypt", CRYPT_ACTIVATE_SAME_CPU_CRYPT },
        { "--perf-submit_from_crypt_cpus", CRYPT_ACTIVATE_SUBMIT_FROM_CRYPT_CPUS },
        { "--perf-no_read_workqueue", CRYPT_ACTIVATE_NO_READ_WORKQUEUE },
        { "--perf-no_write_workqueue", CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE },
};

/* Sizes accept cryptsetup's plain numbers and, for the metadata sizes,
 * the k/m suffixes it takes. */
static int parse_u64(const char *s, uint64_t *ret)
{
        char *end;
        unsigned long long v;

        if (!*s || *s == '-')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s)
                return -EINVAL;
        if (*end == 'k' || *end == 'K') {
                v *= 1024;
                end++;
        } else if (*end == 'm' || *end == 'M') {
                v *= 1024 * 1024;
                end++;
        }
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

static const struct opt_def *find_def(const char *arg, const char **inline_value)
{
        *inline_value = NULL;
        for (size_t i = 0; i < ELEMENTSOF(format_defs); i++) {
                const struct opt_def *d = &format_defs[i];
                size_t l = strlen(d->name);
                if (strncmp(arg, d->name, l) == 0 && (arg[l] == '\0' || arg[l] == '=')) {
                        if (arg[l] == '=')
                                *inline_value = arg + l + 1;
                        return d;
                }
                if (d->short_name && strcmp(arg, d->short_name) == 0)
                        return d;
        }
        return NULL;
}

int luks_parse_format_options(const struct ig_strv *o, const char *what, struct luks_format_opts *ret)
{
        int r = 0;

        *ret = (struct luks_format_opts) {};
        for (size_t i = 0; i < o->n; i++) {
                const char *arg = o->v[i], *val;
                const struct opt_def *d = find_def(arg, &val);
                char *field;
                uint64_t n;

                if (!d) {
                        r = log_error_errno(EINVAL, "%s: options[%zu]: unknown luksFormat option \"%s\" (ignis "
                                            "formats with libcryptsetup and knows: --cipher, --key-size, --hash, "
                                            "--pbkdf*, --iter-time, --sector-size, --integrity, --label, "
                                            "--subsystem, --uuid, --type, --luks2-*-size, --offset, "
                                            "--align-payload, --use-[u]random)", what, i, arg);
                        continue;
                }
                field = (char *) ret + d->offset;
                if (d->kind == OPT_FLAG) {
                        if (val) {
                                r = log_error_errno(EINVAL, "%s: options[%zu]: %s takes no value", what, i, d->name);
                                continue;
                        }
                        *(bool *) field = true;
                        continue;
                }
                if (!val) {
                        if (i + 1 >= o->n) {
                                r = log_error_errno(EINVAL, "%s: options[%zu]: %s needs a value", what, i, arg);
                                continue;
                        }
                        val = o->v[++i];
                }
                switch (d->kind) {
                case OPT_STR:
                        *(const char **) field = val;
                        break;
                case OPT_U32:
                case OPT_U64:
                        if (parse_u64(val, &n) < 0 || (d->kind == OPT_U32 && n > UINT32_MAX)) {
                                r = log_error_errno(EINVAL, "%s: options: invalid number \"%s\" for %s", what, val,
                                                    d->name);
                                break;
                        }
                        if (d->kind == OPT_U32)
                                *(uint32_t *) field = (uint32_t) n;
                        else
                                *(uint64_t *) field = n;
                        break;
                case OPT_FLAG:
                        break;
                }
        }
        if (ret->type && strcmp(ret->type, "luks2") != 0)
                r = log_error_errno(EINVAL, "%s: options: --type %s: only LUKS2 volumes are made (as Ignition)", what,
                                    ret->type);
        if (ret->cipher && !strchr(ret->cipher, '-'))
                r = log_error_errno(EINVAL, "%s: options: --cipher \"%s\" must be CIPHER-MODE, e.g. aes-xts-plain64",
                                    what, ret->cipher);
        if (ret->key_size_bits % 8)
                r = log_error_errno(EINVAL, "%s: options: --key-size %u is not a multiple of 8 bits", what,
                                    ret->key_size_bits);
        if (ret->pbkdf && strcmp(ret->pbkdf, "argon2id") != 0 && strcmp(ret->pbkdf, "argon2i") != 0 &&
            strcmp(ret->pbkdf, "pbkdf2") != 0)
                r = log_error_errno(EINVAL, "%s: options: --pbkdf %s: expected argon2id, argon2i or pbkdf2", what,
                                    ret->pbkdf);
        return r;
}

int luks_parse_open_options(const struct ig_strv *o, const char *what, uint32_t *flags)
{
        int r = 0;

        for (size_t i = 0; i < o->n; i++) {
                size_t k;
                for (k = 0; k < ELEMENTSOF(open_defs); k++)
                        if (strcmp(o->v[i], open_defs[k].name) == 0)
                                break;
                if (k == ELEMENTSOF(open_defs)) {
                        r = log_error_errno(EINVAL, "%s: openOptions[%zu]: unknown luksOpen option \"%s\" (ignis knows "
                                            "--allow-discards and the --perf-* flags, which are stored in the header)",
                                            what, i, o->v[i]);
                        continue;
                }
                *flags |= open_defs[k].flag;
        }
        return r;
}
