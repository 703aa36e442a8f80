/* SPDX-License-Identifier: Apache-2.0 */
/* Whether a config needs the network: the initramfs brings networking up
 * only then (a config that is entirely local never starts it). */

#include <stdbool.h>

#include "ignis/config.h"
#include "ignis/fetch.h"

static bool remote(const struct ig_resource *r)
{
        return r->source && !fetch_is_local(r);
}

bool config_needs_network(const struct ig_config *c)
{
        const struct ig_ignition *ig = &c->ignition;

        if (remote(&ig->config.replace))
                return true;
        for (size_t i = 0; i < ig->config.merge.n; i++)
                if (remote(&ig->config.merge.v[i]))
                        return true;
        for (size_t i = 0; i < ig->security.tls.certificate_authorities.n; i++)
                if (remote(&ig->security.tls.certificate_authorities.v[i]))
                        return true;
        for (size_t i = 0; i < c->storage.files.n; i++) {
                const struct ig_file *f = &c->storage.files.v[i];
                if (remote(&f->contents))
                        return true;
                for (size_t j = 0; j < f->append.n; j++)
                        if (remote(&f->append.v[j]))
                                return true;
        }
        for (size_t i = 0; i < c->storage.luks.n; i++) {
                const struct ig_luks *l = &c->storage.luks.v[i];
                if (remote(&l->key_file))
                        return true;
                /* Tang without an advertisement asks the server for one. */
                for (size_t j = 0; j < l->clevis.tang.n; j++)
                        if (!l->clevis.tang.v[j].advertisement || !*l->clevis.tang.v[j].advertisement)
                                return true;
                if (l->clevis.custom.needs_network.set && l->clevis.custom.needs_network.v)
                        return true;
        }
        return false;
}
