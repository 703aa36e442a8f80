/* SPDX-License-Identifier: Apache-2.0 */
/* Merging parent ⊕ child with Ignition's rules. */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ignis/config.h"
#include "ignis/diag.h"
#include "ignis/json-index.h"
#include "ignis/log.h"
#include "tap.h"

static void load(const char *text, struct ig_config *c)
{
        struct ig_jindex ix;
        struct ig_diags d = {};
        int r = ig_config_load(text, strlen(text), NULL, &ix, c, &d);

        if (r < 0 || d.n) {
                ig_diags_print(&d, "input", &ix, stdout);
                tap_ok(0, "test input loads cleanly");
        }
        ig_diags_free(&d);
        ig_jindex_free(&ix);
}

static void merged(const char *parent, const char *child, struct ig_config *out)
{
        struct ig_config c;

        load(parent, out);
        load(child, &c);
        ig_config_merge(out, &c);
        ig_config_free(&c);
}

int main(void)
{
        struct ig_config m;

        /* The example from Ignition's operator notes: child overrides what it
         * sets, keeps the rest; a header without value deletes the parent's. */
        merged("{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/etc/motd\","
               "\"contents\":{\"source\":\"https://example.net/a\",\"verification\":{\"hash\":\"sha512-abababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababababab\"},\"httpHeaders\":[{\"name\":\"X-Token\",\"value\":\"1\"},"
               "{\"name\":\"Keep\",\"value\":\"k\"}]},\"overwrite\":true}]}}",
               "{\"ignition\":{\"version\":\"3.1.0\"},\"storage\":{\"files\":[{\"path\":\"/etc/motd\",\"mode\":384,"
               "\"contents\":{\"source\":\"https://example.net/a\",\"httpHeaders\":[{\"name\":\"X-Token\"}]}}]}}",
               &m);
        struct ig_file *f = &m.storage.files.v[0];
        tap_ok(m.storage.files.n == 1, "same path merges into one file");
        tap_ok(f->contents.verification.hash && strncmp(f->contents.verification.hash, "sha512-ab", 9) == 0,
               "parent's verification kept");
        tap_ok(f->mode.set && f->mode.v == 0600, "child's mode applied");
        tap_ok(f->overwrite.set && f->overwrite.v, "parent's overwrite kept");
        tap_ok(f->contents.http_headers.n == 1 && strcmp(f->contents.http_headers.v[0].name, "Keep") == 0,
               "header without value deletes the parent's header of that name");
        tap_ok(m.spec == IG_SPEC_3_3_0, "merged spec is the newer one");
        tap_ok(f->node == IG_NODE_MERGED, "merged objects have no position");
        ig_config_free(&m);

        /* Files, directories and links share one key space. */
        merged("{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"links\":[{\"path\":\"/x\",\"target\":\"/y\"}],"
               "\"directories\":[{\"path\":\"/d\"}]}}",
               "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/x\"}],"
               "\"links\":[{\"path\":\"/d\",\"target\":\"/e\"}]}}",
               &m);
        tap_ok(m.storage.links.n == 1 && strcmp(m.storage.links.v[0].path, "/d") == 0 &&
               m.storage.directories.n == 0 && m.storage.files.n == 1,
               "a child file replaces a parent link; a child link replaces a parent directory");
        ig_config_free(&m);

        /* Concatenated lists vs unions vs keyed lists. */
        merged("{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/f\",\"append\":"
               "[{\"source\":\"data:,1\"}]}],\"filesystems\":[{\"device\":\"/dev/a\",\"format\":\"ext4\","
               "\"options\":[\"-b\",\"4096\"]}],\"raid\":[{\"name\":\"r\",\"level\":\"raid1\",\"devices\":[\"/dev/x\",\"/dev/y\"]}]},"
               "\"passwd\":{\"users\":[{\"name\":\"core\",\"sshAuthorizedKeys\":[\"k1\"],\"groups\":[\"wheel\"]}]},"
               "\"kernelArguments\":{\"shouldExist\":[\"a\"],\"shouldNotExist\":[\"b\"]}}",
               "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[{\"path\":\"/f\",\"append\":"
               "[{\"source\":\"data:,1\"}]}],\"filesystems\":[{\"device\":\"/dev/a\",\"format\":\"ext4\","
               "\"options\":[\"-b\"]}],\"raid\":[{\"name\":\"r\",\"level\":\"raid1\",\"devices\":[\"/dev/y\",\"/dev/z\"]}]},"
               "\"passwd\":{\"users\":[{\"name\":\"core\",\"sshAuthorizedKeys\":[\"k1\",\"k2\"]},{\"name\":\"ops\"}]},"
               "\"kernelArguments\":{\"shouldExist\":[\"b\"]}}",
               &m);
        tap_ok(m.storage.files.v[0].append.n == 2, "append fragments are concatenated");
        tap_ok(m.storage.filesystems.v[0].options.n == 3, "mkfs options are concatenated");
        tap_ok(m.storage.raid.v[0].devices.n == 3 && strcmp(m.storage.raid.v[0].level, "raid1") == 0,
               "RAID devices are a union; level kept");
        tap_ok(m.passwd.users.n == 2 && m.passwd.users.v[0].ssh_authorized_keys.n == 2 &&
               m.passwd.users.v[0].groups.n == 1, "users keyed by name, keys a union, groups kept");
        tap_ok(m.kernel_arguments.should_exist.n == 2 && m.kernel_arguments.should_not_exist.n == 0,
               "shouldExist in the child removes the same argument from shouldNotExist");
        ig_config_free(&m);

        /* Partitions are keyed by number, or by label when number is 0. */
        merged("{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"disks\":[{\"device\":\"/dev/vda\",\"partitions\":"
               "[{\"number\":1,\"label\":\"a\"},{\"label\":\"b\"}]}]}}",
               "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"disks\":[{\"device\":\"/dev/vda\",\"wipeTable\":true,"
               "\"partitions\":[{\"number\":1,\"sizeMiB\":10},{\"label\":\"b\",\"sizeMiB\":5},{\"number\":0,\"label\":\"c\"}]}]}}",
               &m);
        struct ig_disk *dk = &m.storage.disks.v[0];
        tap_ok(dk->partitions.n == 3 && dk->wipe_table.v, "partitions merged by key, new one appended");
        tap_ok(dk->partitions.v[0].size_mib.v == 10 && strcmp(dk->partitions.v[0].label, "a") == 0,
               "number 1 merged");
        tap_ok(dk->partitions.v[1].size_mib.v == 5, "label b merged (number 0)");
        ig_config_free(&m);

        /* A child cannot unset: absent fields keep the parent's values. */
        merged("{\"ignition\":{\"version\":\"3.3.0\"},\"systemd\":{\"units\":[{\"name\":\"a.service\",\"enabled\":true,"
               "\"contents\":\"[Service]\\nExecStart=/bin/true\\n[Install]\\nWantedBy=multi-user.target\\n\"}]}}",
               "{\"ignition\":{\"version\":\"3.3.0\"},\"systemd\":{\"units\":[{\"name\":\"a.service\",\"mask\":false}]}}",
               &m);
        tap_ok(m.systemd.units.n == 1 && m.systemd.units.v[0].enabled.v && m.systemd.units.v[0].contents &&
               m.systemd.units.v[0].mask.set && !m.systemd.units.v[0].mask.v, "unset fields keep the parent's");
        ig_config_free(&m);

        /* Large lists (merged through hash sets): order, keyed merges, the
         * shared namespace and string unions hold at scale. */
        {
                size_t n = 3000, cap = n * 200 + 256, lp = 0, lc = 0;
                char *parent = xmalloc(cap), *child = xmalloc(cap);
                bool ok = true;

                lp += (size_t) sprintf(parent + lp, "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[");
                for (size_t i = 0; i < n; i++)
                        lp += (size_t) sprintf(parent + lp, "%s{\"path\":\"/p/%zu\",\"mode\":420}", i ? "," : "", i);
                lp += (size_t) sprintf(parent + lp, "],\"links\":[{\"path\":\"/x/l\",\"target\":\"/t\"}]},"
                                       "\"kernelArguments\":{\"shouldExist\":[");
                for (size_t i = 0; i < n; i++)
                        lp += (size_t) sprintf(parent + lp, "%s\"k%zu\"", i ? "," : "", i);
                sprintf(parent + lp, "]}}");
                /* the child overlaps the second half and adds as many new */
                lc += (size_t) sprintf(child + lc, "{\"ignition\":{\"version\":\"3.3.0\"},\"storage\":{\"files\":[");
                for (size_t i = n / 2; i < n + n / 2; i++)
                        lc += (size_t) sprintf(child + lc, "%s{\"path\":\"/p/%zu\",\"mode\":384}", i > n / 2 ? "," : "", i);
                lc += (size_t) sprintf(child + lc, ",{\"path\":\"/x/l\"}]},\"kernelArguments\":{\"shouldExist\":[");
                for (size_t i = n / 2; i < n + n / 2; i++)
                        lc += (size_t) sprintf(child + lc, "%s\"k%zu\"", i > n / 2 ? "," : "", i);
                sprintf(child + lc, "],\"shouldNotExist\":[\"k0\"]}}");
                merged(parent, child, &m);
                ok = m.storage.files.n == n + n / 2 + 1;
                for (size_t i = 0; ok && i < n + n / 2; i++) {
                        char want[32];
                        snprintf(want, sizeof(want), "/p/%zu", i);
                        ok = strcmp(m.storage.files.v[i].path, want) == 0 &&
                             m.storage.files.v[i].mode.v == (i < n / 2 ? 0644 : 0600);
                        if (!ok)
                                printf("# file %zu: %s mode %lld\n", i, m.storage.files.v[i].path,
                                       (long long) m.storage.files.v[i].mode.v);
                }
                tap_ok(ok, "%zu + %zu files: parent order kept, overlapping ones merged, new ones appended", n, n);
                tap_ok(m.storage.links.n == 0, "a child file replaces a parent link at scale");
                tap_ok(m.kernel_arguments.should_exist.n == n + n / 2 - 1 &&
                       strcmp(m.kernel_arguments.should_exist.v[0], "k1") == 0 &&
                       m.kernel_arguments.should_not_exist.n == 1,
                       "kernel argument union at scale; shouldNotExist in the child removes from shouldExist");
                ig_config_free(&m);
                free(parent);
                free(child);
        }
        return tap_done();
}
