/* SPDX-License-Identifier: Apache-2.0 */
/* Validation of storage.files, storage.directories and storage.links: their
 * own fields, and the rules between them (one shared path namespace, nodes
 * below configured links, hard links to directories, collisions with the
 * files systemd units and drop-ins are written to). */

#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/log.h"
#include "validate-internal.h"

enum node_kind {
        NODE_DIRECTORY,
        NODE_FILE,
        NODE_LINK,
};

static const char *const list_names[] = {
        [NODE_DIRECTORY] = "storage.directories",
        [NODE_FILE] = "storage.files",
        [NODE_LINK] = "storage.links",
};

/* One entry of any of the three lists. */
struct node_ref {
        enum node_kind kind;
        size_t index;
        uint32_t node;
        const char *path;
};

static void check_owner(struct vctx *v, const struct ig_node_owner *o, uint32_t parent, const char *name)
{
        if (o->id.set && v_nonempty(o->name))
                v_error(v, vloc_of(o->node, parent, name), NULL,
                        "%s has both id and name: set only one of them", name);
}

/* "/" is a clean absolute path, so Ignition accepts it; only a directory can
 * be there. */
static void check_not_root(struct vctx *v, uint32_t node, const char *path, const char *what)
{
        if (path && strcmp(path, "/") == 0)
                v_warn(v, vloc_node(node), "path", "a %s cannot replace the root directory: creating it will fail", what);
}

static void check_file(struct vctx *v, const struct ig_file *f)
{
        struct vloc at = vloc_node(f->node);

        check_not_root(v, f->node, f->path, "file");

        v_check_mode(v, at, f->mode);
        if (ig_bool_or(f->overwrite, false) && !f->contents.source)
                v_error(v, at, "overwrite",
                        "overwrite is true but contents has no source (set contents.source, or overwrite false to keep an existing file)");
        v_check_resource(v, &f->contents, vloc_of(f->contents.node, f->node, "contents"), VRES_FILE_CONTENTS);
        for (size_t i = 0; i < f->append.n; i++) {
                _cleanup_free_ char *p = xasprintf("append[%zu]", i);
                v_check_resource(v, &f->append.v[i], vloc_of(f->append.v[i].node, f->node, p), VRES_FILE_APPEND);
        }
        check_owner(v, &f->user, f->node, "user");
        check_owner(v, &f->group, f->node, "group");
}

static void check_directory(struct vctx *v, const struct ig_directory *d)
{
        v_check_mode(v, vloc_node(d->node), d->mode);
        check_owner(v, &d->user, d->node, "user");
        check_owner(v, &d->group, d->node, "group");
}

static void check_link(struct vctx *v, const struct ig_link *l)
{
        struct vloc at = vloc_node(l->node);

        check_not_root(v, l->node, l->path, "link");

        /* before 3.3 target was a plain string that Ignition did not check */
        if (!v_nonempty(l->target) && v->spec >= IG_SPEC_3_3_0)
                v_error(v, at, "target", "link target is required");
        else if (!v_nonempty(l->target))
                v_warn(v, at, "target", "link has no target: creating it will fail");
        check_owner(v, &l->user, l->node, "user");
        check_owner(v, &l->group, l->node, "group");
        if (ig_bool_or(l->hard, false)) {
                if (l->user.id.set || l->user.name)
                        v_warn(v, vloc_of(l->user.node, l->node, "user"), NULL,
                               "user is ignored for hard links (they share the owner of their target)");
                if (l->group.id.set || l->group.name)
                        v_warn(v, vloc_of(l->group.node, l->node, "group"), NULL,
                               "group is ignored for hard links (they share the group of their target)");
        }
}

/* Where a hard link's target lands, computed as Ignition's validation does
 * it: a relative target is joined to the link's own path. */
static char *hard_link_target(const struct ig_link *l)
{
        const char *target = l->target ?: "";
        _cleanup_free_ char *clean = v_path_clean(target), *joined = NULL;

        if (clean[0] == '/')
                return TAKE_PTR(clean);
        if (!v_nonempty(l->path))
                return v_path_clean(target);
        joined = *target ? xasprintf("%s/%s", l->path, target) : xstrdup(l->path);
        return v_path_clean(joined);
}

/* systemd writes a unit's contents to /etc/systemd/system/<name> and a
 * drop-in's to <name>.d/<dropin>; a node at such a path would fight it. */
static void collect_unit_paths(struct vctx *v, struct vset *set, char ***owned, size_t *n_owned)
{
        const struct ig_systemd *sd = &v->c->systemd;
        size_t n = 0;

        for (size_t i = 0; i < sd->units.n; i++)
                n += 1 + sd->units.v[i].dropins.n;
        *owned = xcalloc(n + 1, sizeof(char *));
        *n_owned = 0;

        for (size_t i = 0; i < sd->units.n; i++) {
                const struct ig_unit *u = &sd->units.v[i];
                if (v_nonempty(u->contents)) {
                        char *p = xasprintf("/etc/systemd/system/%s", u->name ?: "");
                        (*owned)[(*n_owned)++] = p;
                        vset_add(set, p, "systemd.units", i, -1);
                }
                for (size_t j = 0; j < u->dropins.n; j++) {
                        const struct ig_dropin *dr = &u->dropins.v[j];
                        char *p;
                        if (!v_nonempty(dr->contents))
                                continue;
                        p = xasprintf("/etc/systemd/system/%s.d/%s", u->name ?: "", dr->name ?: "");
                        (*owned)[(*n_owned)++] = p;
                        vset_add(set, p, "systemd.units", i, (int) j);
                }
        }
}

static void check_relations(struct vctx *v, const struct node_ref *refs, size_t n)
{
        const struct ig_storage *s = &v->c->storage;
        _cleanup_(vset_free) struct vset all = {}, links = {}, dirs = {}, units = {};
        char **unit_paths = NULL;
        size_t n_unit_paths = 0;

        for (size_t i = 0; i < s->links.n; i++)
                vset_add(&links, s->links.v[i].path ?: "", "storage.links", i, NODE_LINK);
        for (size_t i = 0; i < s->directories.n; i++)
                vset_add(&dirs, s->directories.v[i].path ?: "", "storage.directories", i, NODE_DIRECTORY);
        collect_unit_paths(v, &units, &unit_paths, &n_unit_paths);

        for (size_t i = 0; i < n; i++) {
                const struct node_ref *r = &refs[i];
                struct vloc at = vloc_node(r->node);
                const char *p = r->path ?: "";
                const struct vset_entry *e;

                /* files, directories and links share one key space; the lists
                 * are taken in Ignition's order: directories, files, links */
                e = vset_add(&all, p, list_names[r->kind], r->index, r->kind);
                if (e)
                        v_error(v, at, "path", "duplicate entry: \"%s\" is already defined by %s[%zu]", p, e->list,
                                e->index);

                /* Ignition does not follow links it creates itself. One
                 * hash grows along the path: a path of many components
                 * must not cost the square of its length. */
                uint64_t h = VSET_HASH_INIT;
                for (size_t k = 0; p[k]; h = vset_hash_byte(h, p[k]), k++) {
                        if (p[k] != '/')
                                continue;
                        e = vset_find_nh(&links, p, k, h);
                        if (e) {
                                v_error(v, at, "path",
                                        "path is below the link storage.links[%zu] (\"%s\"); configured links are not followed: use the link's target path",
                                        e->index, e->key);
                                break;
                        }
                }

                e = vset_find(&units, p);
                if (e) {
                        const struct ig_unit *u = &v->c->systemd.units.v[e->index];
                        if (e->kind < 0)
                                v_error(v, at, "path",
                                        "path conflicts with the unit \"%s\" (systemd.units[%zu]), whose contents are written there",
                                        u->name ?: "", e->index);
                        else
                                v_error(v, at, "path",
                                        "path conflicts with the drop-in \"%s\" of unit \"%s\" (systemd.units[%zu]), whose contents are written there",
                                        u->dropins.v[e->kind].name ?: "", u->name ?: "", e->index);
                }
        }

        /* ignis: a node below a configured file cannot be created (a pending
         * Ignition change makes this an error too). Needs the complete set. */
        for (size_t i = 0; i < n; i++) {
                const char *p = refs[i].path ?: "";
                uint64_t h = vset_hash_byte(VSET_HASH_INIT, p[0]);
                for (size_t k = 1; p[0] && p[k]; h = vset_hash_byte(h, p[k]), k++) {
                        const struct vset_entry *e;
                        if (p[k] != '/')
                                continue;
                        e = vset_find_nh(&all, p, k, h);
                        if (e && e->kind == NODE_FILE) {
                                v_warn(v, vloc_node(refs[i].node), "path",
                                       "path is below storage.files[%zu] (\"%s\"), which is a file: creating it will fail",
                                       e->index, e->key);
                                break;
                        }
                }
        }

        for (size_t i = 0; i < s->links.n; i++) {
                const struct ig_link *l = &s->links.v[i];
                _cleanup_free_ char *target = NULL;
                const struct vset_entry *e;

                /* (before 3.3 an absent target was the empty string) */
                if (!ig_bool_or(l->hard, false) || (!l->target && v->spec >= IG_SPEC_3_3_0))
                        continue;
                target = hard_link_target(l);
                e = vset_find(&dirs, target);
                if (e)
                        v_error(v, vloc_node(l->node), "target",
                                "hard link target \"%s\" is a directory (storage.directories[%zu]); directories cannot be hard-linked",
                                target, e->index);
        }

        for (size_t i = 0; i < n_unit_paths; i++)
                free(unit_paths[i]);
        free(unit_paths);
}

void v_storage_nodes(struct vctx *v)
{
        const struct ig_storage *s = &v->c->storage;
        size_t n = s->directories.n + s->files.n + s->links.n, k = 0;
        _cleanup_free_ struct node_ref *refs = xcalloc(n + 1, sizeof(*refs));

        for (size_t i = 0; i < s->directories.n; i++) {
                const struct ig_directory *d = &s->directories.v[i];
                v_check_path(v, vloc_node(d->node), "path", d->path);
                check_directory(v, d);
                refs[k++] = (struct node_ref) { NODE_DIRECTORY, i, d->node, d->path };
        }
        for (size_t i = 0; i < s->files.n; i++) {
                const struct ig_file *f = &s->files.v[i];
                v_check_path(v, vloc_node(f->node), "path", f->path);
                check_file(v, f);
                refs[k++] = (struct node_ref) { NODE_FILE, i, f->node, f->path };
        }
        for (size_t i = 0; i < s->links.n; i++) {
                const struct ig_link *l = &s->links.v[i];
                v_check_path(v, vloc_node(l->node), "path", l->path);
                check_link(v, l);
                refs[k++] = (struct node_ref) { NODE_LINK, i, l->node, l->path };
        }
        check_relations(v, refs, n);
}
