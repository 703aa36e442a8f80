/* SPDX-License-Identifier: Apache-2.0 */
/* Clevis pins of storage.luks volumes, bound with `clevis luks bind`.
 *
 * The pin config is the sss config Ignition builds (or the custom pin and
 * config as given). A Tang server without an advertisement in the config
 * is asked for it here, with ignis's HTTP client and its retries (the
 * network may still be coming up; clevis would try once), and the
 * advertisement is handed to clevis. When the pins that were just reached
 * (those Tang servers, a TPM2) meet the threshold, the volume is closed
 * and opened again with `clevis luks unlock`: a binding that cannot open
 * the volume fails the stage now rather than the machine's next boot. */

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "ignis/cleanup.h"
#include "ignis/dlopen-libs.h"
#include "ignis/exec.h"
#include "ignis/fetch.h"
#include "ignis/log.h"
#include "ignis/util.h"
#include "luks-internal.h"

/* An advertisement is a JWS of a few keys: a few KiB. */
#define TANG_ADV_MAX (1024 * 1024)

bool luks_has_clevis(const struct ig_luks *l)
{
        const struct ig_clevis *c = &l->clevis;

        return c->tang.n > 0 || ig_bool_or(c->tpm2, false) || (c->custom.pin && *c->custom.pin);
}

static bool custom_pin(const struct ig_luks *l)
{
        return l->clevis.custom.pin && *l->clevis.custom.pin;
}

static int need_tool(const char *tool, const char *package, const char *what, const char *why)
{
        if (exec_have(tool))
                return 0;
        return log_error_errno(ENOENT, "%s: %s needs %s, which is not installed (package %s, in the initramfs)", what,
                               why, tool, package);
}

int clevis_check(const struct ig_luks *l, const char *what)
{
        const struct ig_clevis *c = &l->clevis;
        int r = 0;

        if (!luks_has_clevis(l))
                return 0;
        if (!exec_have("clevis"))
                return log_error_errno(ENOENT, "%s: the volume has Clevis pins, but the clevis tool is not "
                                       "installed (install clevis and clevis-luks in the initramfs)", what);
        /* clevis luks bind is a script: cryptsetup adds the key slot and
         * the token, pwmake makes the slot's passphrase. */
        if (need_tool("clevis-luks-bind", "clevis-luks", what, "clevis luks bind") < 0 ||
            need_tool("cryptsetup", "cryptsetup-bin", what, "clevis luks bind") < 0 ||
            need_tool("pwmake", "libpwquality-tools", what, "clevis luks bind") < 0)
                r = -ENOENT;
        if (custom_pin(l)) {
                _cleanup_free_ char *tool = NULL;
                if (strchr(c->custom.pin, '/'))
                        return log_error_errno(EINVAL, "%s: clevis.custom.pin \"%s\" is not a pin name", what,
                                               c->custom.pin);
                tool = xasprintf("clevis-encrypt-%s", c->custom.pin);
                if (!exec_have(tool))
                        r = log_error_errno(ENOENT, "%s: the custom Clevis pin \"%s\" needs %s, which is not "
                                            "installed", what, c->custom.pin, tool);
                return r;
        }
        if (need_tool("clevis-encrypt-sss", "clevis", what, "the sss pin") < 0)
                r = -ENOENT;
        if (c->tang.n > 0 && need_tool("clevis-encrypt-tang", "clevis", what, "the tang pin") < 0)
                r = -ENOENT;
        if (ig_bool_or(c->tpm2, false) && need_tool("clevis-encrypt-tpm2", "clevis-tpm2", what, "the tpm2 pin") < 0)
                r = -ENOENT;
        return r;
}

/* GET URL/adv, as clevis would, but with the fetch layer's retries. */
static int fetch_adv(const struct ig_tang *t, const char *what, size_t index, json_object **ret)
{
        size_t n = strlen(t->url);
        _cleanup_free_ char *url = xasprintf("%.*s/adv", (int) (n > 0 && t->url[n - 1] == '/' ? n - 1 : n), t->url);
        _cleanup_free_ char *what_adv = xasprintf("%s clevis.tang[%zu]", what, index), *body = NULL;
        _cleanup_free_ char *shown = url_for_message(url);
        struct ig_resource res = { .source = url };
        size_t len;
        int r;

        log_info("%s: fetching the advertisement of %s", what_adv, shown);
        r = fetch_to_memory(&res, what_adv, TANG_ADV_MAX, &body, &len);
        if (r < 0)
                return r;       /* logged, naming the entry and the URL */
        *ret = json_tokener_parse(body);
        if (!*ret || !json_object_is_type(*ret, json_type_object)) {
                json_object_put(*ret);
                *ret = NULL;
                return log_error_errno(EBADMSG, "%s: %s did not answer with an advertisement (a JSON object)",
                                       what_adv, shown);
        }
        return 0;
}

int clevis_sss_config(const struct ig_luks *l, const char *what, char **ret, int *reached)
{
        const struct ig_clevis *cl = &l->clevis;
        json_object *o = json_object_new_object(), *pins = json_object_new_object();
        int r = 0;

        *reached = 0;
        json_object_object_add(o, "t", json_object_new_int64(ig_int_or(cl->threshold, 1)));
        json_object_object_add(o, "pins", pins);
        if (cl->tang.n > 0) {
                json_object *arr = json_object_new_array();
                json_object_object_add(pins, "tang", arr);
                for (size_t i = 0; i < cl->tang.n && r >= 0; i++) {
                        const struct ig_tang *t = &cl->tang.v[i];
                        json_object *e = json_object_new_object(), *adv = NULL;

                        json_object_array_add(arr, e);
                        json_object_object_add(e, "url", json_object_new_string(t->url));
                        if (t->thumbprint)
                                json_object_object_add(e, "thp", json_object_new_string(t->thumbprint));
                        if (t->advertisement && *t->advertisement)
                                adv = json_tokener_parse(t->advertisement);     /* validated JSON */
                        else if ((r = fetch_adv(t, what, i, &adv)) >= 0)
                                (*reached)++;
                        if (adv)
                                json_object_object_add(e, "adv", adv);
                }
        }
        if (ig_bool_or(cl->tpm2, false)) {
                json_object_object_add(pins, "tpm2", json_object_new_object());
                (*reached)++;
        }
        if (r >= 0)
                *ret = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return r;
}

/* Closes NAME and opens it again through its pins alone. */
static int self_test(const struct ig_luks *l, const char *dev, const char *what)
{
        char *argv[] = { "clevis", "luks", "unlock", "-d", (char *) dev, "-n", l->name, NULL };
        _cleanup_free_ char *cmd = exec_describe(argv, NULL);
        struct exec_result res;
        int r;

        log_info("%s: checking the pins: closing /dev/mapper/%s and opening it with %s", what, l->name, cmd);
        r = sym_crypt_deactivate(NULL, l->name);
        if (r < 0)
                return log_error_errno(r, "%s: closing /dev/mapper/%s failed: %m", what, l->name);
        r = exec_run(argv, NULL, &res);
        if (r < 0)
                return log_error_errno(r, "%s: cannot run clevis: %m", what);
        if (res.status != 0) {
                log_error("%s: the Clevis pins just bound do not open the volume:", what);
                return exec_result_check(&res, cmd);
        }
        exec_result_free(&res);
        log_info("%s: the Clevis pins open the volume", what);
        return 0;
}

char *clevis_describe_pins(const struct ig_luks *l)
{
        const struct ig_clevis *cl = &l->clevis;
        char *s;

        if (custom_pin(l))
                return xasprintf("custom pin %s", cl->custom.pin);
        s = xasprintf("sss, threshold %" PRId64, ig_int_or(cl->threshold, 1));
        for (size_t i = 0; i < cl->tang.n; i++) {
                _cleanup_free_ char *u = url_for_message(cl->tang.v[i].url), *old = s;
                s = xasprintf("%s, tang %s%s", old, u, cl->tang.v[i].advertisement ? " (advertisement given)" : "");
        }
        if (ig_bool_or(cl->tpm2, false)) {
                _cleanup_free_ char *old = s;
                s = xasprintf("%s, tpm2", old);
        }
        return s;
}

int clevis_bind(const struct ig_luks *l, const char *dev, const char *what, const char *key, size_t key_len)
{
        _cleanup_free_ char *config = NULL, *cmd = NULL;
        const char *pin = "sss";
        struct exec_options eo = { .input = key, .input_len = key_len };
        struct exec_result res;
        int reached = 0, r;

        if (custom_pin(l)) {
                pin = l->clevis.custom.pin;
                config = xstrdup(l->clevis.custom.config ? l->clevis.custom.config : "{}");
        } else {
                r = clevis_sss_config(l, what, &config, &reached);
                if (r < 0)
                        return r;
        }
        {
                /* The key on standard input (-k -): it is never in a file. */
                char *argv[] = { "clevis", "luks", "bind", "-f", "-k", "-", "-d", (char *) dev, (char *) pin,
                                 config, NULL };
                char *shown[] = { "clevis", "luks", "bind", "-f", "-k", "-", "-d", (char *) dev, (char *) pin,
                                  "CONFIG", NULL };
                _cleanup_free_ char *pins = clevis_describe_pins(l);

                /* The config is not logged: a Tang URL (or a custom
                 * config) may carry credentials. */
                cmd = exec_describe(shown, NULL);
                log_info("%s: binding Clevis: %s (%s)", what, cmd, pins);
                r = exec_run(argv, &eo, &res);
        }
        if (r < 0)
                return log_error_errno(r, "%s: cannot run clevis: %m", what);
        if (res.status != 0) {
                log_error("%s: binding the Clevis pins failed:", what);
                return exec_result_check(&res, cmd);
        }
        exec_result_free(&res);
        if (!custom_pin(l) && reached >= ig_int_or(l->clevis.threshold, 1))
                return self_test(l, dev, what);
        return 0;
}
