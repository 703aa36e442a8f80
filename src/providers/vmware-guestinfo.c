/* SPDX-License-Identifier: Apache-2.0 */
/* VMware: which guestinfo variables hold the config and how they are
 * encoded, as Ignition reads them (the protocol is vmware-rpc.c's):
 *
 *   guestinfo.ignition.config.data           the config
 *   guestinfo.ignition.config.data.encoding  "" (plain), base64/b64,
 *                                            gzip/gz, gzip+base64 (also
 *                                            gz+base64, gzip+b64, gz+b64)
 *
 * and, for each of the two that is not set, the property of that name in
 * the OVF environment (guestinfo.ovfEnv, an XML document with
 * <Property oe:key="guestinfo.ignition.config.data" oe:value="..."/>), as
 * vApp options deliver it. No data (or empty data) is no config. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/config.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "internal.h"
#include "vmware.h"

#define WHO "platform vmware"
#define KEY_DATA "ignition.config.data"
#define KEY_ENCODING "ignition.config.data.encoding"
/* base64 of the largest config, plus room */
#define MAX_VALUE ((size_t) IG_CONFIG_MAX_SIZE / 3 * 4 + 4096)

struct value {
        char *v;
        size_t len;
        char *where;    /* "guestinfo.X" or "guestinfo.ovfEnv property guestinfo.X" */
};

static void value_done(struct value *v)
{
        free(v->v);
        free(v->where);
}

/* The two properties from guestinfo.ovfEnv; a missing or unreadable OVF
 * environment is only a warning (the direct variables may still be set). */
static void read_ovf_env(const struct vmw_transport *t, struct value *data, struct value *enc)
{
        const struct {
                const char *key;
                struct value *out;
        } props[] = { { "guestinfo." KEY_DATA, data }, { "guestinfo." KEY_ENCODING, enc } };
        _cleanup_free_ char *xml = NULL;
        size_t len;
        int r;

        /* The key is case-insensitive for the host; vApp writes "ovfEnv". */
        r = vmw_guestinfo_get(t, "ovfEnv", MAX_VALUE, &xml, &len);
        if (r < 0) {
                log_warning("%s: cannot read guestinfo.ovfEnv; going on without the OVF environment", WHO);
                return;
        }
        if (!xml || len == 0)
                return;
        log_info("%s: found an OVF environment (guestinfo.ovfEnv, %zu bytes)", WHO, len);
        for (size_t i = 0; i < ELEMENTSOF(props); i++) {
                r = xml_keyed_attribute(xml, len, "Property", "key", props[i].key, "value", &props[i].out->v);
                if (r == -EBADMSG) {
                        log_warning("%s: guestinfo.ovfEnv is not XML this reader understands (a malformed "
                                    "<Property> tag); going on without it", WHO);
                        value_done(data);
                        value_done(enc);
                        *data = *enc = (struct value) {};
                        return;
                }
                if (r < 0)
                        continue;
                props[i].out->len = strlen(props[i].out->v);
                props[i].out->where = xasprintf("guestinfo.ovfEnv property %s", props[i].key);
        }
}

/* The direct variable wins over the OVF property, even when set empty. */
static int read_var(const struct vmw_transport *t, const char *key, struct value *v)
{
        char *s;
        size_t len;
        int r = vmw_guestinfo_get(t, key, MAX_VALUE, &s, &len);

        if (r < 0)
                return r;
        if (!s)
                return 0;
        value_done(v);
        *v = (struct value) { .v = s, .len = len, .where = xasprintf("guestinfo.%s", key) };
        return 0;
}

static bool is_one_of(const char *s, const char *const *names)
{
        for (; *names; names++)
                if (strcmp(s, *names) == 0)
                        return true;
        return false;
}

static int decode(struct value *data, const struct value *enc)
{
        static const char *const b64[] = { "base64", "b64", NULL };
        static const char *const gz[] = { "gzip", "gz", NULL };
        static const char *const gz_b64[] = { "gzip+base64", "gz+base64", "gzip+b64", "gz+b64", NULL };
        const char *e = enc->v ? enc->v : "";
        bool base64 = is_one_of(e, b64) || is_one_of(e, gz_b64), gzip = is_one_of(e, gz) || is_one_of(e, gz_b64);

        if (!*e)
                return 0;
        if (!base64 && !gzip)
                return log_error_errno(EINVAL, "%s: %s is \"%.64s\": not an encoding ignis knows (base64, "
                                       "gzip+base64, gzip, or empty for plain JSON)", WHO, enc->where, e);
        if (base64) {
                char *dec;
                size_t n;

                if (provider_base64_decode(data->v, data->len, &dec, &n) < 0)
                        return log_error_errno(EBADMSG, "%s: %s is not base64, as %s \"%s\" says (%zu bytes)", WHO,
                                               data->where, enc->where, e, data->len);
                free(data->v);
                data->v = dec;
                data->len = n;
        }
        /* The decompression itself is provider_fetch()'s, for every
         * platform; what is checked here is that the encoding is right. */
        if (gzip && (data->len < 2 || (unsigned char) data->v[0] != 0x1f || (unsigned char) data->v[1] != 0x8b))
                return log_error_errno(EBADMSG, "%s: %s is not gzip data, as %s \"%s\" says", WHO, data->where,
                                       enc->where, e);
        return 0;
}

int vmware_fetch_guestinfo(const struct vmw_transport *t, struct fetched_config *out)
{
        struct value data = {}, enc = {};
        int r;

        *out = (struct fetched_config) {};
        read_ovf_env(t, &data, &enc);
        r = read_var(t, KEY_DATA, &data);
        if (r >= 0)
                r = read_var(t, KEY_ENCODING, &enc);
        if (r < 0)
                goto done;
        if (!data.v || data.len == 0) {
                log_info("%s: neither guestinfo.%s nor the OVF environment has a config: no config", WHO,
                         KEY_DATA);
                goto done;
        }
        log_info("%s: config in %s (%zu bytes, encoding \"%.64s\"%s%s)", WHO, data.where, data.len,
                 enc.v ? enc.v : "", enc.where ? " from " : "", enc.where ? enc.where : "");
        r = decode(&data, &enc);
        if (r < 0)
                goto done;
        if (data.len == 0) {
                /* base64 of nothing (blanks only): as empty data */
                log_info("%s: %s decodes to nothing: no config", WHO, data.where);
                goto done;
        }
        out->data = TAKE_PTR(data.v);
        out->len = data.len;
        out->source = xasprintf("VMware %s", data.where);
done:
        value_done(&data);
        value_done(&enc);
        return r;
}

/* What Ignition leaves in place of a deleted config: base64 of "{}\n". */
#define DELETED_DATA "e30K"
#define DELETED_ENCODING "base64"

int vmware_delete_guestinfo(const struct vmw_transport *t)
{
        static const char *const ovf_keys[] = { "guestinfo." KEY_DATA, "guestinfo." KEY_ENCODING, NULL };
        _cleanup_free_ char *data = NULL, *enc = NULL, *xml = NULL, *pruned = NULL;
        size_t len, n, removed;
        int r;

        r = vmw_guestinfo_get(t, KEY_DATA, MAX_VALUE, &data, &len);
        if (r < 0)
                return r;
        if (data && strcmp(data, DELETED_DATA) != 0) {
                log_info("%s: deleting the config from guestinfo.%s (%zu bytes)", WHO, KEY_DATA, len);
                r = vmw_guestinfo_set(t, KEY_DATA, DELETED_DATA);
                if (r < 0)
                        return r;
                r = vmw_guestinfo_get(t, KEY_ENCODING, MAX_VALUE, &enc, &n);
                if (r < 0)
                        return r;
                if (!enc || strcmp(enc, DELETED_ENCODING) != 0) {
                        r = vmw_guestinfo_set(t, KEY_ENCODING, DELETED_ENCODING);
                        if (r < 0)
                                return r;
                }
        }

        /* Unlike the fetch, an OVF environment that cannot be read or
         * understood is an error here: it may still hold the config. */
        r = vmw_guestinfo_get(t, "ovfEnv", MAX_VALUE, &xml, &len);
        if (r < 0)
                return r;
        if (!xml || len == 0)
                return 0;
        /* Until nothing is left: cutting a tag out could join the text
         * around it into another one. Each pass that removes shrinks it. */
        for (size_t total = 0;;) {
                _cleanup_free_ char *next = NULL;

                r = xml_remove_keyed_elements(pruned ? pruned : xml, pruned ? n : len, "Property", "key", ovf_keys,
                                              &next, &n, &removed);
                if (r < 0)
                        return log_error_errno(r, "%s: guestinfo.ovfEnv is not XML this reader can edit (a "
                                               "malformed or non-empty <Property> tag): the config in it, if "
                                               "any, is not deleted", WHO);
                if (removed == 0) {
                        if (total == 0)
                                return 0;
                        log_info("%s: deleting the config from the OVF environment (guestinfo.ovfEnv, %zu "
                                 "propert%s)", WHO, total, total == 1 ? "y" : "ies");
                        return vmw_guestinfo_set(t, "ovfEnv", next);
                }
                total += removed;
                free(pruned);
                pruned = TAKE_PTR(next);
        }
}
