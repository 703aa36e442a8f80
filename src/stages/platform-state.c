/* SPDX-License-Identifier: Apache-2.0 */
/* What the stages keep about the platform in the state directory (beside
 * the config cache, /run/ignis): the detected id, the need-report flag, and
 * the failure summary a platform report (Azure's NotReady) carries. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignis/cleanup.h"
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
        if (provider_has_report(platform))
                write_state(cache, "need-report", "");
        else {
                _cleanup_free_ char *path = state_path(cache, "need-report");
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
