/* SPDX-License-Identifier: Apache-2.0 */
/* Clevis: the sss pin config handed to `clevis luks bind` (Ignition's
 * shape), and the tools checked before anything is touched. The binding
 * itself runs in the VM suite (tests/vm/scenarios/luks-clevis-tang). */

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignis/log.h"
#include "luks-internal.h"
#include "tap.h"

#define ADV "{\"payload\":\"eyJrZXlzIjogW119\",\"protected\":\"eyJhbGciOiJFUzUxMiJ9\",\"signature\":\"AAAA\"}"

static json_object *get(json_object *o, const char *key)
{
        json_object *v = NULL;

        return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static const char *str(json_object *o, const char *key)
{
        json_object *v = get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

int main(void)
{
        struct ig_tang tangs[2] = {
                { .url = "http://tang.example/", .thumbprint = "thp-one", .advertisement = ADV },
                { .url = "https://tang2.example", .thumbprint = "thp-two", .advertisement = ADV },
        };
        struct ig_luks l = { .name = "data", .device = "/dev/vdb" };
        json_object *cfg, *pins, *tang, *adv;
        char *text = NULL;
        int reached = -1, r;

        log_set_max_level(LOG_LVL_ERR - 1);     /* the refusals are expected */

        /* Two Tang servers with advertisements (bound offline), a TPM2,
         * threshold 2. */
        l.clevis.tang.v = tangs;
        l.clevis.tang.n = 2;
        l.clevis.tpm2 = (struct ig_bool) { true, true };
        l.clevis.threshold = (struct ig_int) { true, 2 };
        r = clevis_sss_config(&l, "$.storage.luks[0] \"data\"", &text, &reached);
        tap_ok(r == 0 && text, "sss config built (%d)", r);
        cfg = text ? json_tokener_parse(text) : NULL;
        tap_ok(cfg && json_object_get_int64(get(cfg, "t")) == 2, "threshold t = 2: %s", text ? text : "(none)");
        pins = get(cfg, "pins");
        tang = get(pins, "tang");
        tap_ok(tang && json_object_array_length(tang) == 2, "both Tang servers, in order");
        tap_ok(strcmp(str(json_object_array_get_idx(tang, 0), "url"), "http://tang.example/") == 0 &&
                       strcmp(str(json_object_array_get_idx(tang, 1), "url"), "https://tang2.example") == 0,
               "url as given");
        tap_ok(strcmp(str(json_object_array_get_idx(tang, 0), "thp"), "thp-one") == 0, "thumbprint as thp");
        adv = get(json_object_array_get_idx(tang, 0), "adv");
        tap_ok(adv && json_object_is_type(adv, json_type_object) &&
                       strcmp(str(adv, "signature"), "AAAA") == 0,
               "the advertisement as a JSON object, not a string");
        tap_ok(get(pins, "tpm2") && json_object_is_type(get(pins, "tpm2"), json_type_object) &&
                       json_object_object_length(get(pins, "tpm2")) == 0,
               "tpm2: {}");
        tap_ok(reached == 1, "pins reached now: the TPM2 only, advertisements from the config prove nothing (%d)",
               reached);
        tap_ok(text && !strstr(text, "\\/"), "URLs without escaped slashes");
        json_object_put(cfg);
        free(text);
        text = NULL;

        /* One Tang server, no tpm2, no threshold: t defaults to 1. */
        l.clevis.tang.n = 1;
        l.clevis.tpm2 = (struct ig_bool) {};
        l.clevis.threshold = (struct ig_int) {};
        r = clevis_sss_config(&l, "$.storage.luks[0] \"data\"", &text, &reached);
        cfg = text ? json_tokener_parse(text) : NULL;
        tap_ok(r == 0 && cfg && json_object_get_int64(get(cfg, "t")) == 1 && !get(get(cfg, "pins"), "tpm2"),
               "threshold defaults to 1, no tpm2 pin: %s", text ? text : "(none)");
        tap_ok(reached == 0, "nothing reached");
        json_object_put(cfg);
        free(text);

        /* What the log shows of the pins: no credentials. */
        {
                struct ig_tang t = { .url = "http://user:s3cret@tang.example/p?token=t0ken", .thumbprint = "x" };
                struct ig_luks k = { .name = "k" };
                char *d;

                k.clevis.tang.v = &t;
                k.clevis.tang.n = 1;
                k.clevis.tpm2 = (struct ig_bool) { true, true };
                d = clevis_describe_pins(&k);
                tap_ok(strstr(d, "tang http://tang.example/p") && strstr(d, "tpm2") && strstr(d, "threshold 1"),
                       "pins described: %s", d);
                tap_ok(!strstr(d, "s3cret") && !strstr(d, "t0ken") && !strstr(d, "user"),
                       "no userinfo or query in the description");
                free(d);
                k.clevis = (struct ig_clevis) { .custom = { .pin = "tang", .config = "{\"url\":\"http://u:s3cret@h\"}" } };
                d = clevis_describe_pins(&k);
                tap_ok(strcmp(d, "custom pin tang") == 0 && !strstr(d, "s3cret"), "a custom config is not shown: %s", d);
                free(d);
        }

        /* The tools: without clevis on PATH, the entry is refused naming
         * it; a custom pin name with a slash is no pin. */
        {
                char dir[] = "/tmp/ignis-test-clevis-XXXXXX";
                tap_ok(mkdtemp(dir) != NULL, "empty PATH directory");
                setenv("PATH", dir, 1);
                tap_ok(clevis_check(&l, "$.storage.luks[0] \"data\"") == -ENOENT, "no clevis: -ENOENT");
                rmdir(dir);
        }
        l.clevis.tang.n = 0;
        tap_ok(clevis_check(&l, "x") == 0, "no pins: nothing to check");
        l.clevis.custom.pin = "../bin/sh";
        l.clevis.custom.config = "{}";
        setenv("PATH", "/usr/bin:/bin", 1);
        if (access("/usr/bin/clevis", X_OK) == 0)
                tap_ok(clevis_check(&l, "x") == -EINVAL, "custom pin with a slash refused");
        else
                tap_ok(clevis_check(&l, "x") == -ENOENT, "custom pin: clevis is not installed here");
        return tap_done();
}
