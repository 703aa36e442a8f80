/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/fetch.h"
#include "ignis/http.h"
#include "ignis/log.h"
#include "ignis/stages.h"
#include "ignis/target.h"

static int check(const struct ig_resource *r, const char *what, size_t i)
{
        _cleanup_free_ char *u = NULL;

        if (fetch_is_local(r) || !fetch_settings_global()->offline)
                return 0;
        u = url_for_message(r->source);
        log_error("%s[%zu] %s: needs the network, and this run is offline", what, i, u);
        return -ENETUNREACH;
}

int stage_files_check_sources(const struct ig_config *c)
{
        int r = 0;

        for (size_t i = 0; i < c->storage.files.n; i++) {
                const struct ig_file *f = &c->storage.files.v[i];
                if (check(&f->contents, "$.storage.files", i) < 0)
                        r = -ENETUNREACH;
                for (size_t j = 0; j < f->append.n; j++) {
                        _cleanup_free_ char *what = xasprintf("$.storage.files[%zu].append", i);
                        if (check(&f->append.v[j], what, j) < 0)
                                r = -ENETUNREACH;
                }
        }
        for (size_t i = 0; i < c->storage.luks.n; i++)
                if (c->storage.luks.v[i].key_file.source &&
                    check(&c->storage.luks.v[i].key_file, "$.storage.luks", i) < 0)
                        r = -EOPNOTSUPP;
        for (size_t i = 0; i < c->ignition.config.merge.n; i++)
                if (check(&c->ignition.config.merge.v[i], "$.ignition.config.merge", i) < 0)
                        r = -ENETUNREACH;
        if (c->ignition.config.replace.source && check(&c->ignition.config.replace, "$.ignition.config.replace", 0) < 0)
                r = -ENETUNREACH;
        for (size_t i = 0; i < c->ignition.security.tls.certificate_authorities.n; i++)
                if (check(&c->ignition.security.tls.certificate_authorities.v[i],
                          "$.ignition.security.tls.certificateAuthorities", i) < 0)
                        r = -ENETUNREACH;
        return r;
}

/* Whether path is /etc/selinux, something in it, or one of its parents. */
static bool touches_selinux(const char *path)
{
        static const char dir[] = "/etc/selinux";
        size_t l = strlen(path);

        while (l > 1 && path[l - 1] == '/')
                l--;
        if (strncmp(path, dir, sizeof(dir) - 1) == 0)
                return path[sizeof(dir) - 1] == '\0' || path[sizeof(dir) - 1] == '/';
        /* A parent: "/" or "/etc". */
        return l <= sizeof(dir) - 1 && strncmp(dir, path, l) == 0 && (l == 1 || dir[l] == '/');
}

/* setfiles reads the policy (SELINUX=, SELINUXTYPE=, file_contexts and
 * its .local) when it starts. A config that writes any of that must have it
 * read afterwards, as Ignition does by running setfiles at the end. */
static bool config_touches_selinux(const struct ig_config *c)
{
        for (size_t i = 0; i < c->storage.files.n; i++)
                if (touches_selinux(c->storage.files.v[i].path))
                        return true;
        for (size_t i = 0; i < c->storage.directories.n; i++)
                if (touches_selinux(c->storage.directories.v[i].path))
                        return true;
        for (size_t i = 0; i < c->storage.links.n; i++)
                if (touches_selinux(c->storage.links.v[i].path))
                        return true;
        return false;
}

/* What would run the target's own code, refused before anything is
 * written (docs/SECURITY.md). Every refusal is reported, not just the
 * first. */
static int check_no_target_programs(struct target *t, const struct ig_config *c)
{
        int r = 0, k;

        k = target_passwd_check_no_programs(t, &c->passwd);
        r = r < 0 ? r : k;
        k = target_units_check_no_programs(t, c);
        r = r < 0 ? r : k;
        k = target_relabel_check_no_programs(t, config_touches_selinux(c));
        r = r < 0 ? r : k;
        return r;
}

int stage_files(const struct ig_config *c, const char *root, bool user_config_provided)
{
        return stage_files_opts(c, root, user_config_provided, NULL);
}

int stage_files_opts(const struct ig_config *c, const char *root, bool user_config_provided,
                     struct stage_files_options *o)
{
        struct target t;
        int r;

        if (o)
                o->nothing_written = false;
        /* The config's timeouts, CAs and proxy for the files it fetches
         * (already in place when rendering ran in this process). */
        r = fetch_settings_update(fetch_settings_global(), c);
        if (r < 0) {
                if (o)
                        o->nothing_written = true;
                return r;
        }
        r = target_open(root, &t);
        if (r < 0) {
                if (o)
                        o->nothing_written = true;
                return r;
        }
        t.no_target_programs = o && o->no_target_programs;

        /* What the tree holds that the stage would refuse to write through
         * is refused before the first write. */
        r = target_units_check(&t, &c->systemd);
        if (r >= 0)
                r = target_passwd_check(&t, &c->passwd);
        if (r >= 0 && t.no_target_programs)
                r = check_no_target_programs(&t, c);
        if (r < 0) {
                target_close(&t);
                if (o)
                        o->nothing_written = true;
                return r;
        }

        /* setfiles loads its policy while we write -- unless the config
         * changes the policy, which setfiles must then see. */
        r = config_touches_selinux(c) ? 0 : target_relabel_start(&t);
        if (r >= 0)
                r = target_passwd_apply(&t, &c->passwd);
        if (r >= 0)
                r = target_nodes_apply(&t, &c->storage);
        if (r >= 0)
                r = target_units_apply(&t, &c->systemd);
        if (r >= 0)
                r = target_result_write(&t, user_config_provided);
        if (r >= 0) {
                /* The data goes to disk while setfiles labels it; the final
                 * syncfs then only has the labels left to write. */
                root_sync_kick(&t.root);
                r = target_relabel(&t);
        }
        /* Even after a failure, what was written should reach the disk: the
         * failure report is more useful with the partial state intact. */
        if (root_sync(&t.root) < 0 && r >= 0)
                r = log_error_errno(errno, "Cannot sync the target filesystem: %m");
        target_close(&t);
        return r;
}
