/* SPDX-License-Identifier: Apache-2.0 */
/* /etc/.ignition-result.json, in Ignition's format: distro tools read it to
 * tell when and whether a machine was provisioned. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "ignis/target.h"
#include "ignis/util.h"

#define RESULT_PATH "/etc/.ignition-result.json"

static char *boot_id(void)
{
        char *s = NULL;
        size_t len;

        if (read_full_file("/proc/sys/kernel/random/boot_id", 4096, &s, &len) < 0)
                return xstrdup("");
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == ' '))
                s[--len] = '\0';
        return s;
}

/* Only a regular file is read: a FIFO there would block us forever, a
 * device would be read from. Whatever else is there is replaced by the new
 * report (a rename never writes through it), with a word. */
static json_object *previous_report(struct target *t)
{
        _cleanup_free_ char *text = NULL;
        struct stat st;
        _cleanup_close_ int fd = root_open_regular(&t->root, RESULT_PATH, O_RDONLY, &st);
        size_t len;

        if (fd == ROOT_ENOTREG || fd == -ELOOP)
                log_warning("%s is %s, not a regular file: it is replaced, not read", RESULT_PATH,
                            root_file_type(st.st_mode));
        if (fd < 0)
                return NULL;
        if (read_full_fd(fd, 1024 * 1024, &text, &len) < 0)
                return NULL;
        return json_tokener_parse(text);
}

/* json-c returns NULL, or drops the member, when an allocation fails: the
 * report must not come out with a field missing. */
static void add(json_object *o, const char *key, json_object *v)
{
        if (!v || json_object_object_add(o, key, v) < 0)
                oom();
}

int target_result_write(struct target *t, bool user_config_provided)
{
        _cleanup_free_ char *bid = boot_id();
        json_object *o = json_object_new_object(), *prev;
        char date[64];
        const char *name, *text;
        time_t now = time(NULL);
        struct tm tm;
        struct ig_strv parents = {};
        int dirfd, r;

        if (!o)
                oom();
        gmtime_r(&now, &tm);
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
        add(o, "provisioningBootID", json_object_new_string(bid));
        add(o, "provisioningDate", json_object_new_string(date));
        add(o, "userConfigProvided", json_object_new_boolean(user_config_provided));
        prev = previous_report(t);
        if (prev) {
                /* Ignition runs once; a second run is worth a word. */
                log_warning("%s exists: this root was provisioned before; keeping that report as previousReport",
                            RESULT_PATH);
                add(o, "previousReport", prev);
        }

        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        /* json-c's writer also drops text when its buffer cannot grow: a
         * report that does not read back as what was built is not written. */
        json_object *back = text ? json_tokener_parse(text) : NULL;
        if (!back || !json_object_equal(o, back))
                oom();
        json_object_put(back);
        dirfd = root_open_parent(&t->root, RESULT_PATH, true, &parents, &name);
        if (dirfd < 0) {
                json_object_put(o);
                return log_error_errno(dirfd, "Cannot open the target's /etc: %m");
        }
        {
                _cleanup_free_ char *buf = xasprintf("%s\n", text);
                r = root_write_file(dirfd, name, buf, strlen(buf), 0600, 0, 0);
        }
        close(dirfd);
        json_object_put(o);
        for (size_t i = 0; i < parents.n; i++) {
                target_note_created(t, parents.v[i]);
                free(parents.v[i]);
        }
        free(parents.v);
        if (r < 0)
                return log_error_errno(r, "Cannot write %s: %m", RESULT_PATH);
        target_note_created(t, RESULT_PATH);
        return 0;
}
