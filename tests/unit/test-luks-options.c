/* SPDX-License-Identifier: Apache-2.0 */
/* storage.luks options: cryptsetup's luksFormat/luksOpen spellings mapped
 * onto libcryptsetup parameters; anything unknown refused by name. */

#include <libcryptsetup.h>
#include <string.h>

#include "ignis/log.h"
#include "luks-internal.h"
#include "tap.h"

static int parse(const char **args, size_t n, struct luks_format_opts *o)
{
        struct ig_strv v = { .v = (char **) args, .n = n };

        return luks_parse_format_options(&v, "$.storage.luks[0] \"t\"", o);
}

static int parse_open(const char **args, size_t n, uint32_t *flags)
{
        struct ig_strv v = { .v = (char **) args, .n = n };

        *flags = 0;
        return luks_parse_open_options(&v, "$.storage.luks[0] \"t\"", flags);
}

int main(void)
{
        struct luks_format_opts o;
        uint32_t flags;

        log_set_max_level(LOG_LVL_ERR - 1);     /* the refusals are expected */
        {
                const char *a[] = { "--cipher", "serpent-xts-plain64", "--key-size=256", "-h", "sha512",
                                    "--pbkdf", "pbkdf2", "--iter-time=100", "--sector-size", "4096",
                                    "--luks2-metadata-size=64k", "--use-random", "--type", "luks2" };
                int r = parse(a, sizeof(a) / sizeof(a[0]), &o);
                tap_ok(r == 0, "common luksFormat options accepted (%d)", r);
                tap_ok(o.cipher && strcmp(o.cipher, "serpent-xts-plain64") == 0, "--cipher VALUE");
                tap_ok(o.key_size_bits == 256, "--key-size=VALUE");
                tap_ok(o.hash && strcmp(o.hash, "sha512") == 0, "-h VALUE");
                tap_ok(o.pbkdf && strcmp(o.pbkdf, "pbkdf2") == 0 && o.iter_time_ms == 100, "--pbkdf, --iter-time");
                tap_ok(o.sector_size == 4096, "--sector-size");
                tap_ok(o.metadata_size == 65536, "--luks2-metadata-size with a k suffix");
                tap_ok(o.use_random, "--use-random flag");
        }
        {
                const char *a[] = { "--frobnicate" };
                tap_ok(parse(a, 1, &o) == -EINVAL, "an unknown option is refused");
        }
        {
                const char *a[] = { "--cipher" };
                tap_ok(parse(a, 1, &o) == -EINVAL, "an option without its value is refused");
        }
        {
                const char *a[] = { "--key-size", "big" };
                tap_ok(parse(a, 2, &o) == -EINVAL, "a non-numeric size is refused");
        }
        {
                const char *a[] = { "--key-size", "250" };
                tap_ok(parse(a, 2, &o) == -EINVAL, "a key size that is not whole bytes is refused");
        }
        {
                const char *a[] = { "--type", "luks1" };
                tap_ok(parse(a, 2, &o) == -EINVAL, "--type luks1 is refused (LUKS2 only)");
        }
        {
                const char *a[] = { "--cipher=aes" };
                tap_ok(parse(a, 1, &o) == -EINVAL, "a cipher without its mode is refused");
        }
        {
                const char *a[] = { "--pbkdf", "scrypt" };
                tap_ok(parse(a, 2, &o) == -EINVAL, "an unknown pbkdf is refused");
        }
        {
                const char *a[] = { "--use-random=1" };
                tap_ok(parse(a, 1, &o) == -EINVAL, "a flag with a value is refused");
        }
        {
                const char *a[] = { "--allow-discards", "--perf-no_read_workqueue" };
                int r = parse_open(a, 2, &flags);
                tap_ok(r == 0 && flags == (CRYPT_ACTIVATE_ALLOW_DISCARDS | CRYPT_ACTIVATE_NO_READ_WORKQUEUE),
                       "open options become activation flags");
        }
        {
                const char *a[] = { "--readonly" };
                tap_ok(parse_open(a, 1, &flags) == -EINVAL, "an open option that cannot be stored is refused");
        }
        return tap_done();
}
