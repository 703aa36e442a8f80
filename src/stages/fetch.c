/* SPDX-License-Identifier: Apache-2.0 */
/* The fetch stages: find the config, render it, check that this build can
 * apply everything it asks for, and cache it for the later stages.
 *
 * Where the config comes from, first hit wins (as Ignition):
 *   1. ignition.config.url= on the kernel command line,
 *   2. user.ign in /run/ignition, /etc/ignition, /usr/lib/ignition,
 *   3. the platform provider (ignition.platform.id).
 * Base configs (base.d/ and base.platform.d/<platform>/ in the same
 * directories) are the parent of the user config. "No config" is not an
 * error: the machine boots with an empty one. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/fetch.h"
#include "ignis/json-index.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "ignis/netwait.h"
#include "ignis/providers.h"
#include "ignis/rootfs.h"
#include "ignis/stages.h"
#include "ignis/storage.h"
#include "ignis/util.h"

/* Highest priority first. */
static const char *const system_dirs[] = { "/run/ignition", "/etc/ignition", "/usr/lib/ignition" };

static const char *sysconf_prefix(void)
{
        /* Tests point this at a scratch tree; in the initramfs it is "". */
        const char *p = getenv("IGNIS_SYSTEM_CONFIG_PREFIX");
        return p ? p : "";
}

static int load_text(const char *text, size_t len, const char *name, struct ig_config *c)
{
        int r = ig_config_load_report(text, len, NULL, name, c);

        if (r < 0)
                return log_error_errno(r, "%s: the config is invalid", name);
        return 0;
}

/* Ignition's --fetch-timeout: the user config gets 2 minutes, whatever
 * the (not yet known) config says. */
#define USER_CONFIG_BUDGET_S 120

static int from_cmdline_url(const char *url, struct fetched_config *out)
{
        struct ig_resource res = { .source = (char *) url };
        size_t len;
        int r;

        if (!fetch_is_local(&res) && fetch_settings_global()->offline) {
                _cleanup_free_ char *shown = url_for_message(url);
                return log_error_errno(ENETUNREACH, "ignition.config.url=%s: needs the network, and this stage "
                                       "runs offline", shown);
        }
        r = fetch_to_memory_budget(&res, "ignition.config.url", USER_CONFIG_BUDGET_S, IG_CONFIG_MAX_SIZE,
                                   &out->data, &len);
        if (r < 0)
                return r;
        out->len = len;
        out->source = xstrdup("ignition.config.url");
        return 0;
}

/* How long the fetch stage waits for a route to a resource's host; the
 * unit's environment (systemd.setenv= or a drop-in) may change it. */
static long network_timeout_s(void)
{
        const char *v = getenv("IGNIS_NETWORK_TIMEOUT");
        char *end;
        long t;

        if (!v || !*v)
                return 300;
        errno = 0;
        t = strtol(v, &end, 10);
        if (errno || *end || t < 0) {
                log_warning("IGNIS_NETWORK_TIMEOUT=%s is not a number of seconds: using 300", v);
                return 300;
        }
        return t;
}

/* /run/ignis/neednet beside the cache: ignis-fetch.service runs (and brings
 * the network up) only when fetch-offline wrote it. */
static int write_neednet(const char *cache, bool needed)
{
        _cleanup_free_ char *dir = xstrdup(cache), *p = NULL;
        char *slash = strrchr(dir, '/');
        int r;

        if (slash)
                *slash = '\0';
        p = xasprintf("%s/neednet", dir);
        if (!needed) {
                if (unlink(p) < 0 && errno != ENOENT)
                        return log_error_errno(errno, "Cannot remove %s: %m", p);
                return 0;
        }
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        {
                _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                if (fd < 0)
                        return log_error_errno(errno, "Cannot write %s: %m", p);
        }
        return 0;
}

/* The remote resources c references: offline, they mean the network is
 * needed (returns 1); online, wait for a route to each host first. */
static int remote_sources(const struct ig_config *c, const char *what, bool offline)
{
        struct ig_strv urls = {};
        bool needed = config_network_needed(c, &urls);
        int r = 0;

        if (needed && offline) {
                _cleanup_free_ char *shown = urls.n ? url_for_message(urls.v[0]) : xstrdup("a Clevis pin");
                log_info("%s references %zu remote resource(s) (first: %s): the network is needed", what, urls.n,
                         shown);
                r = 1;
        } else if (urls.n > 0)
                r = net_wait_for_urls((const char *const *) urls.v, urls.n, "fetch", network_timeout_s());
        free(urls.v);
        return r;
}

static int from_system_dirs(struct fetched_config *out)
{
        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++) {
                _cleanup_free_ char *p = xasprintf("%s%s/user.ign", sysconf_prefix(), system_dirs[i]);
                int r = read_full_file(p, IG_CONFIG_MAX_SIZE, &out->data, &out->len);

                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return log_error_errno(r, "Cannot read %s: %m", p);
                out->source = TAKE_PTR(p);
                return 1;
        }
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* base.d/ (or base.platform.d/<platform>/): for each file name the
 * highest-priority directory wins; fragments merge in name order. */
static int merge_base_dir(const char *sub, struct ig_config *base)
{
        struct ig_strv names = {};
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(system_dirs); i++) {
                _cleanup_free_ char *dir = xasprintf("%s%s/%s", sysconf_prefix(), system_dirs[i], sub);
                DIR *d = opendir(dir);
                struct dirent *de;

                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        bool seen = false;
                        if (de->d_name[0] == '.')
                                continue;
                        for (size_t j = 0; j < names.n; j++)
                                if (strcmp(strrchr(names.v[j], '/') + 1, de->d_name) == 0)
                                        seen = true;
                        if (seen)
                                continue;
                        names.v = xrealloc(names.v, (names.n + 1) * sizeof(char *));
                        names.v[names.n++] = xasprintf("%s/%s", dir, de->d_name);
                }
                closedir(d);
        }
        /* Sort by file name, not by directory. */
        for (size_t i = 0; i < names.n; i++) {
                char *slash = strrchr(names.v[i], '/');
                char *keyed = xasprintf("%s\t%s", slash + 1, names.v[i]);
                free(names.v[i]);
                names.v[i] = keyed;
        }
        if (names.n > 1)
                qsort(names.v, names.n, sizeof(char *), cmp_str);

        for (size_t i = 0; i < names.n && r >= 0; i++) {
                const char *path = strchr(names.v[i], '\t') + 1;
                _cleanup_free_ char *text = NULL;
                struct ig_config frag;
                size_t len;

                ig_config_init(&frag);
                r = read_full_file(path, IG_CONFIG_MAX_SIZE, &text, &len);
                if (r < 0) {
                        log_error_errno(r, "Cannot read base config %s: %m", path);
                        break;
                }
                r = load_text(text, len, path, &frag);
                if (r >= 0) {
                        log_info("merging base config %s", path);
                        ig_config_merge(base, &frag);
                }
                ig_config_free(&frag);
        }
        for (size_t i = 0; i < names.n; i++)
                free(names.v[i]);
        free(names.v);
        return r;
}

/* What can be checked before any stage touches a disk: the files' sources
 * and the LUKS options, key files and Clevis tools. */
static int check_supported(const struct ig_config *c)
{
        int r = 0;

        if (stage_files_check_sources(c) < 0)
                r = -ENETUNREACH;
        if (storage_luks_check(c) < 0)
                r = -EINVAL;
        return r;
}

int stage_write_cache(const struct ig_config *c, bool user_config_provided, const char *cache)
{
        _cleanup_free_ char *text = ig_config_to_json(c), *dir = xstrdup(cache);
        _cleanup_free_ char *state_text = NULL;
        _cleanup_close_ int dfd = -1;
        char *slash = strrchr(dir, '/');
        size_t len = strlen(text);
        struct ig_jindex ix;
        struct ig_jerror jerr;
        int r;

        if (!slash)
                return log_error_errno(EINVAL, "Cache path %s is not absolute", cache);
        /* Configs that each fit the limits can merge into one that does not;
         * the next stage must be able to read what this one writes, so that
         * is found out here, before anything is provisioned. */
        if (len > IG_CONFIG_MAX_SIZE)
                return log_error_errno(EFBIG, "The merged config is %zu bytes, larger than the limit of %u MiB",
                                       len, IG_CONFIG_MAX_SIZE / (1024 * 1024));
        r = ig_jindex_build(&ix, text, len, &jerr);
        ig_jindex_free(&ix);
        if (r < 0)
                return log_error_errno(r, "The merged config cannot be cached: %s", jerr.message);
        *slash = '\0';
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create %s: %m", dir);
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return log_error_errno(errno, "Cannot open %s: %m", dir);
        /* 0600: the config may hold secrets (password hashes, keys). */
        r = root_write_file(dfd, slash + 1, text, strlen(text), 0600, 0, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m", cache);
        state_text = xasprintf("{\"userConfigProvided\": %s}\n", user_config_provided ? "true" : "false");
        r = root_write_file(dfd, "state.json", state_text, strlen(state_text), 0600, 0, 0);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s/state.json: %m", dir);
        return 0;
}

/* need-kargs, need-disks, need-mount beside the cache: the units of stages
 * with nothing to do are skipped by a condition on these, instead of each
 * starting a process while udev is still busy probing devices. */
static int write_need_flags(const struct ig_config *c, const char *cache)
{
        _cleanup_free_ char *dir = xstrdup(cache);
        char *slash = strrchr(dir, '/');
        bool mounts = false;
        struct {
                const char *name;
                bool needed;
        } flags[] = {
                { "need-kargs", c->kernel_arguments.should_exist.n + c->kernel_arguments.should_not_exist.n > 0 },
                { "need-disks", c->storage.disks.n + c->storage.raid.n + c->storage.luks.n +
                                c->storage.filesystems.n > 0 },
                { "need-mount", false },
        };

        for (size_t i = 0; i < c->storage.filesystems.n; i++)
                if (c->storage.filesystems.v[i].path)
                        mounts = true;
        flags[2].needed = mounts;
        if (slash)
                *slash = '\0';
        for (size_t i = 0; i < ELEMENTSOF(flags); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", dir, flags[i].name);
                if (flags[i].needed) {
                        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                        if (fd < 0)
                                return log_error_errno(errno, "Cannot write %s: %m", p);
                        close(fd);
                } else if (unlink(p) < 0 && errno != ENOENT)
                        return log_error_errno(errno, "Cannot remove %s: %m", p);
        }
        return 0;
}

int stage_read_state(const char *cache, bool *user_config_provided)
{
        _cleanup_free_ char *dir = xstrdup(cache), *path = NULL, *text = NULL;
        char *slash = strrchr(dir, '/');
        json_object *o, *v;
        size_t len;
        int r;

        *user_config_provided = false;
        if (slash)
                *slash = '\0';
        path = xasprintf("%s/state.json", dir);
        r = read_full_file(path, 4096, &text, &len);
        if (r < 0)
                return log_error_errno(r, "Cannot read %s: %m", path);
        o = json_tokener_parse(text);
        if (o && json_object_object_get_ex(o, "userConfigProvided", &v))
                *user_config_provided = json_object_get_boolean(v);
        json_object_put(o);
        return 0;
}

int stage_fetch(const char *platform, const struct cmdline *cl, const char *cache, bool offline)
{
        struct fetched_config fc = {};
        struct ig_config user, base;
        _cleanup_free_ char *platform_dir = NULL;
        const char *url = NULL, *device = NULL, *device_path = NULL;
        bool provided = false, need_net = false;
        int r;

        ig_config_init(&user);
        ig_config_init(&base);
        /* fetch-offline never touches the network: a remote fragment that a
         * local one references gives -ENETUNREACH (the network is needed). */
        fetch_settings_global()->offline = offline;
        {
                _cleanup_free_ char *dir = xstrdup(cache);
                char *slash = strrchr(dir, '/');
                if (slash)
                        *slash = '\0';
                provider_set_state_dir(slash ? dir : NULL);
        }

        /* An id Ignition does not know is a typo in the boot entry: say so
         * now, not only when the provider turns out to be needed (and never
         * read base.platform.d/<something odd>/). */
        if (platform && *platform && !provider_known(platform)) {
                r = log_error_errno(EINVAL, "Platform \"%s\" is not supported yet (supported: %s, auto), and it "
                                    "is not a platform Ignition knows either: check ignition.platform.id",
                                    platform, provider_supported_list());
                goto out;
        }

        /* ignition.config.device + .path (Ignition 2.27): both or neither;
         * ignition.config.url wins over them. Empty values count as unset. */
        if (cmdline_get(cl, "ignition.config.device", &device) && device && !*device)
                device = NULL;
        if (cmdline_get(cl, "ignition.config.path", &device_path) && device_path && !*device_path)
                device_path = NULL;
        if (cmdline_get(cl, "ignition.config.url", &url) && url && *url) {
                struct ig_resource res = { .source = (char *) url };

                if (device || device_path)
                        log_warning("ignition.config.url takes precedence: ignition.config.device and "
                                    "ignition.config.path are ignored");

                if (resource_is_remote(&res)) {
                        _cleanup_free_ char *shown = url_for_message(url);
                        if (offline) {
                                log_info("ignition.config.url=%s is remote: the network is needed", shown);
                                need_net = true;
                                r = 0;
                                goto out;
                        }
                        r = net_wait_for_urls(&url, 1, "ignition.config.url", network_timeout_s());
                        if (r < 0)
                                goto out;
                }
                r = from_cmdline_url(url, &fc);
        } else if (device || device_path) {
                if (!device || !device_path)
                        r = log_error_errno(EINVAL, "ignition.config.device and ignition.config.path must be "
                                            "given together (only %s is on the kernel command line)",
                                            device ? "ignition.config.device" : "ignition.config.path");
                else
                        r = provider_config_device_fetch(device, device_path, &fc);
        } else {
                r = from_system_dirs(&fc);
                if (r == 0 && offline && provider_needs_network(platform)) {
                        log_info("platform %s: the config comes from its metadata service: the network is "
                                 "needed", platform);
                        need_net = true;
                        r = 0;
                        goto out;
                }
                if (r == 0)
                        r = provider_fetch(platform, &fc);
        }
        if (r < 0)
                goto out;

        if (fc.data && fc.len > 0) {
                bool blank = true;
                for (size_t i = 0; i < fc.len; i++)
                        if (!strchr(" \t\r\n", fc.data[i]))
                                blank = false;
                if (!blank) {
                        log_info("config from %s (%zu bytes)", fc.source, fc.len);
                        r = load_text(fc.data, fc.len, fc.source, &user);
                        if (r < 0)
                                goto out;
                        provided = true;
                }
        }
        if (!provided)
                log_info("no user config: booting with an empty config");

        r = remote_sources(&user, "the config", offline);
        if (r < 0)
                goto out;
        if (r > 0) {
                need_net = true;
                r = 0;
                goto out;
        }
        r = stage_render_config(&user);
        if (r == -ENETUNREACH && offline) {
                /* a local fragment referenced a remote one */
                need_net = true;
                r = 0;
                goto out;
        }
        if (r < 0)
                goto out;

        r = merge_base_dir("base.d", &base);
        if (r >= 0 && platform && *platform) {
                platform_dir = xasprintf("base.platform.d/%s", platform);
                r = merge_base_dir(platform_dir, &base);
        }
        if (r < 0)
                goto out;
        ig_config_merge(&base, &user);
        r = stage_merge_provider_files(&fc, &base);
        if (r < 0)
                goto out;

        r = remote_sources(&base, "the rendered config", offline);
        if (r < 0)
                goto out;
        if (r > 0) {
                need_net = true;
                r = 0;
                goto out;
        }
        /* As Ignition: the later stages get the CAs themselves. */
        r = offline ? 0 : fetch_inline_remote_cas(&base);
        if (r >= 0)
                r = check_supported(&base);
        if (r < 0)
                goto out;
        r = stage_write_cache(&base, provided, cache);
        if (r >= 0)
                r = write_need_flags(&base, cache);
        if (r >= 0)
                log_info("%s: config cached in %s", offline ? "fetch-offline" : "fetch", cache);
out:
        if (r >= 0 && offline) {
                r = write_neednet(cache, need_net);
                if (r >= 0 && need_net)
                        log_info("fetch-offline: the network is needed; the fetch stage will fetch the config");
        }
        fetched_config_free(&fc);
        ig_config_free(&user);
        ig_config_free(&base);
        return r;
}
