/* SPDX-License-Identifier: Apache-2.0 */
/* The memory floor of a fetch with Debian's libcurl: the least any program
 * pays for one HTTP GET through it, to set against ignis's figure in
 * fetch.sh.
 *
 *   curl-floor [--sha512] [--lazy] [--until=STEP] URL
 *
 * Loads libcurl as ignis does (dlopen, RTLD_NOW), curl_global_init(), one
 * GET whose body is thrown away, or fed to libcrypto's SHA-512 with
 * --sha512; nothing else: no config, no file, no second library of its
 * own. Built twice by fetch.sh: as is, and with -DSKIP_GNUTLS_INIT, which
 * defines GnuTLS's hook against its implicit initialisation as ignis does
 * (src/util/dlopen-libs.c). To see what each step costs: --lazy loads with
 * RTLD_LAZY; --until stops after a step: "crypto" (libcrypto loaded, and the
 * SHA-512 context made with --sha512), "load" (libcurl loaded), "init"
 * (curl_global_init), "get" (the default). Exit status 0 when every step
 * asked for succeeded. */

#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <getopt.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifdef SKIP_GNUTLS_INIT
int _gnutls_global_init_skip(void);
int _gnutls_global_init_skip(void)
{
        return 1;
}
#endif

static EVP_MD_CTX *md;
static int (*md_update)(EVP_MD_CTX *, const void *, size_t);

static size_t on_body(char *data, size_t size, size_t n, void *unused)
{
        if (md)
                md_update(md, data, size * n);
        return size * n;
}

static void *sym(void *h, const char *name)
{
        void *p = dlsym(h, name);

        if (!p)
                fprintf(stderr, "curl-floor: %s: %s\n", name, dlerror());
        return p;
}

int main(int argc, char **argv)
{
        static const struct option opts[] = {
                { "sha512", no_argument, NULL, 's' },
                { "lazy", no_argument, NULL, 'l' },
                { "until", required_argument, NULL, 'u' },
                {}
        };
        CURLcode (*global_init)(long);
        CURL *(*easy_init)(void);
        CURLcode (*setopt)(CURL *, CURLoption, ...);
        CURLcode (*perform)(CURL *);
        const char *until = "get";
        int mode = RTLD_NOW, c;
        bool hash = false;
        void *curl, *crypto;
        CURL *h;

        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
                switch (c) {
                case 's': hash = true; break;
                case 'l': mode = RTLD_LAZY; break;
                case 'u': until = optarg; break;
                default: return 2;
                }
        if (optind != argc - 1) {
                fprintf(stderr, "usage: curl-floor [--sha512] [--lazy] [--until=crypto|load|init|get] URL\n");
                return 2;
        }
        if (hash || strcmp(until, "crypto") == 0) {
                crypto = dlopen("libcrypto.so.3", mode | RTLD_LOCAL);
                if (!crypto) {
                        fprintf(stderr, "curl-floor: %s\n", dlerror());
                        return 2;
                }
        }
        if (hash) {
                EVP_MD_CTX *(*ctx_new)(void);
                const EVP_MD *(*sha512)(void);
                int (*init)(EVP_MD_CTX *, const EVP_MD *, ENGINE *);

                if (!(ctx_new = sym(crypto, "EVP_MD_CTX_new")) || !(sha512 = sym(crypto, "EVP_sha512")) ||
                    !(init = sym(crypto, "EVP_DigestInit_ex")) || !(md_update = sym(crypto, "EVP_DigestUpdate")))
                        return 2;
                md = ctx_new();
                if (!md || init(md, sha512(), NULL) != 1)
                        return 2;
        }
        if (strcmp(until, "crypto") == 0)
                return 0;
        curl = dlopen("libcurl.so.4", mode | RTLD_LOCAL);
        if (!curl) {
                fprintf(stderr, "curl-floor: %s\n", dlerror());
                return 2;
        }
        if (strcmp(until, "load") == 0)
                return 0;
        if (!(global_init = sym(curl, "curl_global_init")) || !(easy_init = sym(curl, "curl_easy_init")) ||
            !(setopt = sym(curl, "curl_easy_setopt")) || !(perform = sym(curl, "curl_easy_perform")))
                return 2;
        if (global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return 2;
        if (strcmp(until, "init") == 0)
                return 0;
        h = easy_init();
        if (!h)
                return 2;
        setopt(h, CURLOPT_URL, argv[optind]);
        setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        setopt(h, CURLOPT_FAILONERROR, 1L);
        if (perform(h) != CURLE_OK) {
                fprintf(stderr, "curl-floor: GET %s failed\n", argv[optind]);
                return 1;
        }
        return 0;
}
