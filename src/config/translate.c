/* SPDX-License-Identifier: Apache-2.0 */
/* Upward translation to the newest spec. The parser already produced the
 * newest shape (fields a version lacks stay unset), so what is left are the
 * rules that change meaning between versions. */

#include "ignis/config.h"

/* Before 3.6.0, setuid/setgid/sticky bits in a mode were ignored (with a
 * warning); a 3.4 config asking for 04755 must not become setuid now. */
static void mask_special_bits(struct ig_int *mode)
{
        if (mode->set)
                mode->v &= ~(int64_t) 07000;
}

void ig_config_translate(struct ig_config *c)
{
        if (c->spec >= IG_SPEC_3_6_0)
                return;
        for (size_t i = 0; i < c->storage.files.n; i++)
                mask_special_bits(&c->storage.files.v[i].mode);
        for (size_t i = 0; i < c->storage.directories.n; i++)
                mask_special_bits(&c->storage.directories.v[i].mode);
}
