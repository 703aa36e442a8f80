/* SPDX-License-Identifier: Apache-2.0 */
/* The providers' decoders: the XML text extractor (ovf-env.xml, the Azure
 * goal state), base64, gzip detection. Under ASan/valgrind the mutation
 * loop at the end checks that no input makes the extractor read outside
 * its buffer (inputs are copied into exactly-sized allocations). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "ignis/log.h"
#include "internal.h"
#include "tap.h"

static int text(const char *xml, const char *name, char **ret)
{
        size_t len = strlen(xml);
        char *copy = malloc(len ? len : 1);     /* no NUL after the bytes */
        int r;

        memcpy(copy, xml, len);
        r = xml_element_text(copy, len, name, ret);
        free(copy);
        return r;
}

static void check_text(const char *xml, const char *name, int want_r, const char *want)
{
        char *got = NULL;
        int r = text(xml, name, &got);

        tap_ok(r == want_r && (want ? got && strcmp(got, want) == 0 : got == NULL), "%s in a %zu-byte document: %d",
               name, strlen(xml), r);
        free(got);
}

static const char goal_state[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<GoalState xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
        "xsi:noNamespaceSchemaLocation=\"goalstate10.xsd\">\n"
        "  <Version>2012-11-30</Version>\n"
        "  <Incarnation>3</Incarnation>\n"
        "  <Machine><ExpectedState>Started</ExpectedState><LBProbePorts><Port>16001</Port></LBProbePorts></Machine>\n"
        "  <!-- <ContainerId>not this one</ContainerId> -->\n"
        "  <Container>\n"
        "    <ContainerId>c6d5526c-5ac2-4200-b6e2-56f2b70c5ab2</ContainerId>\n"
        "    <RoleInstanceList><RoleInstance>\n"
        "      <InstanceId>d5a2d0d5.ignis-vm_0</InstanceId><State>Started</State>\n"
        "    </RoleInstance></RoleInstanceList>\n"
        "  </Container>\n"
        "</GoalState>\n";

int main(void)
{
        char *out = NULL;
        size_t len = 0;

        log_set_max_level(LOG_LVL_ERR);

        check_text(goal_state, "Incarnation", 0, "3");
        check_text(goal_state, "ContainerId", 0, "c6d5526c-5ac2-4200-b6e2-56f2b70c5ab2");
        check_text(goal_state, "InstanceId", 0, "d5a2d0d5.ignis-vm_0");
        check_text(goal_state, "RoleInstanceList", -EBADMSG, NULL);
        check_text(goal_state, "Nothing", -ENOENT, NULL);
        check_text("<ns1:Environment xmlns:ns1=\"x\"><ns1:CustomData>eyJ9\n</ns1:CustomData></ns1:Environment>",
                   "CustomData", 0, "eyJ9\n");
        check_text("<a><CustomData/></a>", "CustomData", 0, "");
        check_text("<a><CustomData attr=\"x>y\">v</CustomData></a>", "CustomData", 0, "v");
        check_text("<a>&lt;&amp;&gt;&quot;&apos;&#65;&#x42;&#xe9;</a>", "a", 0, "<&>\"'AB\xc3\xa9");
        check_text("<a><![CDATA[<x>&amp;]]>!</a>", "a", 0, "<x>&amp;!");
        check_text("<a>x &unknown; y</a>", "a", -EBADMSG, NULL);
        check_text("<a>&#0;</a>", "a", -EBADMSG, NULL);
        check_text("<a>&#xd800;</a>", "a", -EBADMSG, NULL);
        check_text("<a>unterminated", "a", -EBADMSG, NULL);
        check_text("<a>v</b>", "a", -EBADMSG, NULL);
        check_text("<ab>v</ab><a>w</a>", "a", 0, "w");
        check_text("<a", "a", -EBADMSG, NULL);
        check_text("<a>&amp", "a", -EBADMSG, NULL);
        check_text("", "a", -ENOENT, NULL);

        {
                char *e = xml_escape("a<b>&\"'\x01\tz");
                tap_ok(strcmp(e, "a&lt;b&gt;&amp;&quot;&apos;?\tz") == 0, "xml_escape: %s", e);
                free(e);
        }
        tap_ok(utf8_prefix("abc", 5) == 3, "utf8_prefix: short string whole");
        tap_ok(utf8_prefix("ab\xc3\xa9z", 3) == 2, "utf8_prefix: no cut inside a 2-byte sequence");
        tap_ok(utf8_prefix("ab\xc3\xa9z", 4) == 4, "utf8_prefix: cut after a whole sequence");
        tap_ok(utf8_prefix("\xe2\x82\xac\xe2\x82\xac", 5) == 3, "utf8_prefix: 3-byte sequences");

        tap_ok(provider_base64_decode("eyJpZ25pdGlvbiI6e319", 20, &out, &len) == 0 && len == 15 &&
               memcmp(out, "{\"ignition\":{}}", 15) == 0, "base64");
        free(out);
        tap_ok(provider_base64_decode("eyJp\nZ24=\r\n", 11, &out, &len) == 0 && len == 5 &&
               memcmp(out, "{\"ign", 5) == 0, "base64 with line breaks and padding");
        free(out);
        tap_ok(provider_base64_decode("eyJp!", 5, &out, &len) == -EBADMSG, "base64: bad character");
        tap_ok(provider_base64_decode("eyJ", 3, &out, &len) == -EBADMSG, "base64: truncated");
        tap_ok(provider_base64_decode("ey=J", 4, &out, &len) == -EBADMSG, "base64: padding in the middle");

        tap_ok(provider_is_cloud_init_data("#cloud-config\n", 14), "#cloud-config is cloud-init's");
        tap_ok(provider_is_cloud_init_data("#!/bin/sh\n", 10), "a script is cloud-init's");
        tap_ok(!provider_is_cloud_init_data("{\"ignition\":{}}", 15), "JSON is not");

        {
                static const char cfg[] = "{\"ignition\":{\"version\":\"3.4.0\"}}";
                unsigned char z[256];
                uLongf zlen = sizeof(z);
                z_stream s = { 0 };
                struct fetched_config f = { 0 };

                deflateInit2(&s, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
                s.next_in = (unsigned char *) cfg;
                s.avail_in = sizeof(cfg) - 1;
                s.next_out = z;
                s.avail_out = sizeof(z);
                deflate(&s, Z_FINISH);
                zlen = sizeof(z) - s.avail_out;
                deflateEnd(&s);
                f.data = malloc(zlen);
                memcpy(f.data, z, zlen);
                f.len = zlen;
                f.source = strdup("test");
                tap_ok(provider_gunzip_if_gzip(&f) == 0 && f.len == sizeof(cfg) - 1 && memcmp(f.data, cfg, f.len) == 0,
                       "gzip'd data decompressed");
                fetched_config_free(&f);

                f.data = malloc(zlen - 4);
                memcpy(f.data, z, zlen - 4);
                f.len = zlen - 4;
                f.source = strdup("test");
                tap_ok(provider_gunzip_if_gzip(&f) == -EBADMSG, "truncated gzip refused");
                fetched_config_free(&f);
        }

        /* Mutations of the goal state: every prefix, and bytes replaced by
         * the characters the extractor branches on. */
        {
                static const char specials[] = "<>/&;!?[]-\"'x:";
                size_t n = strlen(goal_state);
                unsigned seed = 12345;
                int crashes = 0;

                for (size_t cut = 0; cut <= n; cut++) {
                        char *copy = malloc(cut ? cut : 1), *got = NULL;
                        memcpy(copy, goal_state, cut);
                        (void) xml_element_text(copy, cut, "InstanceId", &got);
                        free(got);
                        free(copy);
                }
                for (int i = 0; i < 20000; i++) {
                        char *copy = malloc(n), *got = NULL;
                        memcpy(copy, goal_state, n);
                        for (int k = 0; k < 4; k++) {
                                seed = seed * 1103515245u + 12345u;
                                copy[(seed >> 8) % n] = specials[(seed >> 4) % (sizeof(specials) - 1)];
                        }
                        if (xml_element_text(copy, n, i % 2 ? "ContainerId" : "Incarnation", &got) == 0 && !got)
                                crashes++;
                        free(got);
                        free(copy);
                }
                tap_ok(crashes == 0, "mutated goal states: every success returns text");
        }
        return tap_done();
}
