/* SPDX-License-Identifier: Apache-2.0 */
/* What the stages keep about the platform in the state directory (beside
 * the config cache, /run/ignis): the detected id, the need-report flag, and
 * the failure summary a platform report (Azure's NotReady) carries; and the
 * files a platform wants in the target, made part of the config. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <zlib.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"
#include "ignis/providers.h"
#include "ignis/stages.h"
#include "ignis/util.h"

static char *state_path(const char *cache, const char *name)
{
        _cleanup_free_ char *dir = xstrdup(cache);
        char *slash = strrchr(dir, '/');

        if (slash)
                *slash = '\0';
        return xasprintf("%s/%s", slash ? dir : ".", name);
}

static void write_state(const char *cache, const char *name, const char *text)
{
        _cleanup_free_ char *path = state_path(cache, name), *dir = xstrdup(path);
        _cleanup_close_ int fd = -1;

        *strrchr(dir, '/') = '\0';
        (void) mkdir_p(dir, 0700);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || loop_write(fd, text, strlen(text)) < 0)
                log_warning_errno(errno, "Cannot write %s: %m", path);
}

static char *read_state(const char *cache, const char *name)
{
        _cleanup_free_ char *path = state_path(cache, name);
        char *text = NULL;
        size_t len;

        if (read_full_file(path, 4096, &text, &len) < 0)
                return NULL;
        text[strcspn(text, "\n")] = '\0';
        return text;
}

const char *stage_platform(const char *cache, const char *platform, char **buf)
{
        const char *id;

        if (platform && *platform && strcmp(platform, "auto") != 0)
                return platform;
        /* auto (or no id): detected once, in the first stage, so that every
         * later stage and the platform report agree. */
        *buf = read_state(cache, "platform");
        if (*buf && **buf)
                return *buf;
        id = provider_resolve(platform);
        {
                _cleanup_free_ char *text = xasprintf("%s\n", id);
                write_state(cache, "platform", text);
        }
        return id;
}

void stage_platform_flags(const char *cache, const char *platform)
{
        /* ignis-report.service runs only where this exists, instead of
         * starting a process on every first boot to find out. */
        static const struct {
                const char *name;
                bool (*has)(const char *platform);
        } flags[] = {
                { "need-report", provider_has_report },
                /* ignis-delete-config.service likewise */
                { "need-delete-config", provider_has_delete_config },
        };

        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (flags[i].has(platform))
                        write_state(cache, flags[i].name, "");
                else {
                        _cleanup_free_ char *path = state_path(cache, flags[i].name);
                        (void) unlink(path);
                }
}

void stage_platform_failed(const char *cache, const char *stage, const char *platform)
{
        _cleanup_free_ char *cached = NULL, *line = NULL, *summary = NULL;
        const char *err = log_first_error();

        line = xasprintf("stage %s: %s\n", stage, err ? err : "failed (see the log)");
        write_state(cache, "failure", line);

        /* A platform that takes a report (Azure) hears about the failure
         * from the failing stage itself: the units after it never run, and
         * the emergency target stops whatever else could. Bounded by the
         * providers' budget. */
        if (!platform || !*platform || strcmp(platform, "auto") == 0)
                platform = cached = read_state(cache, "platform");
        if (!provider_has_report(platform))
                return;
        summary = xasprintf("ignis: provisioning failed in stage %s: %s", stage, err ? err : "see the console log");
        (void) provider_report(platform, false, summary);
}

/* gzip, so that a pool file (mostly the NUL padding of its records) costs
 * the cached config a few bytes per pair, not 3.4 KiB. */
static int gzip_data(const char *data, size_t len, unsigned char **ret, size_t *ret_len)
{
        z_stream z = {};
        size_t cap;
        int zr;

        if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
                return -ENOMEM;
        cap = deflateBound(&z, len);
        *ret = xmalloc(cap);
        z.next_in = (unsigned char *) data;
        z.avail_in = (uInt) len;
        z.next_out = *ret;
        z.avail_out = (uInt) cap;
        zr = deflate(&z, Z_FINISH);
        *ret_len = cap - z.avail_out;
        deflateEnd(&z);
        if (zr != Z_STREAM_END) {
                free(*ret);
                *ret = NULL;
                return -EIO;
        }
        return 0;
}

int stage_merge_provider_files(const struct fetched_config *fc, struct ig_config *c)
{
        json_object *root, *files;
        struct ig_config frag;
        const char *text;
        int r;

        if (fc->n_files == 0)
                return 0;
        if (dlopen_crypto() < 0)
                return log_error_errno(EOPNOTSUPP, "%s: cannot encode the platform's files without libcrypto",
                                       fc->source ? fc->source : "the platform");
        root = json_object_new_object();
        files = json_object_new_array();
        json_object_object_add(root, "ignition", json_object_new_object());
        json_object_object_add(json_object_object_get(root, "ignition"), "version",
                               json_object_new_string("3.1.0"));
        json_object_object_add(root, "storage", json_object_new_object());
        json_object_object_add(json_object_object_get(root, "storage"), "files", files);
        for (size_t i = 0; i < fc->n_files; i++) {
                const struct provider_file *f = &fc->files[i];
                json_object *o = json_object_new_object(), *contents = json_object_new_object();
                _cleanup_free_ unsigned char *gz = NULL, *b64 = NULL;
                _cleanup_free_ char *url = NULL;
                size_t gz_len;

                r = gzip_data(f->data, f->len, &gz, &gz_len);
                if (r < 0) {
                        json_object_put(root);
                        return log_error_errno(r, "Cannot compress the platform's file %s: %m", f->path);
                }
                b64 = xmalloc(4 * ((gz_len + 2) / 3) + 1);
                sym_EVP_EncodeBlock(b64, gz, (int) gz_len);
                url = xasprintf("data:;base64,%s", b64);
                json_object_object_add(contents, "source", json_object_new_string(url));
                json_object_object_add(contents, "compression", json_object_new_string("gzip"));
                json_object_object_add(o, "path", json_object_new_string(f->path));
                json_object_object_add(o, "mode", json_object_new_int((int) f->mode));
                json_object_object_add(o, "overwrite", json_object_new_boolean(true));
                json_object_object_add(o, "contents", contents);
                json_object_array_add(files, o);
                log_info("the platform's file %s (%zu bytes) is added to the config", f->path, f->len);
        }
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
        ig_config_init(&frag);
        r = ig_config_load_report(text, strlen(text), NULL, "the platform's files", &frag);
        json_object_put(root);
        if (r < 0) {
                ig_config_free(&frag);
                return log_error_errno(r, "The platform's files cannot be added to the config");
        }
        ig_config_merge(c, &frag);
        ig_config_free(&frag);
        return 0;
}
