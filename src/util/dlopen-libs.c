/* SPDX-License-Identifier: Apache-2.0 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "ignis-build.h"
#include "ignis/dlopen-libs.h"
#include "ignis/log.h"

#define DEFINE_SYM(name) __typeof__(name) *sym_##name
#define SYM(name) { #name, (void **) &sym_##name }

DEFINE_SYM(curl_url);
DEFINE_SYM(curl_url_set);
DEFINE_SYM(curl_url_cleanup);
DEFINE_SYM(curl_url_strerror);
DEFINE_SYM(curl_global_init);
DEFINE_SYM(curl_easy_init);
DEFINE_SYM(curl_easy_setopt);
DEFINE_SYM(curl_easy_perform);
DEFINE_SYM(curl_easy_getinfo);
DEFINE_SYM(curl_easy_cleanup);
DEFINE_SYM(curl_easy_strerror);
DEFINE_SYM(curl_easy_reset);
DEFINE_SYM(curl_slist_append);
DEFINE_SYM(curl_slist_free_all);
DEFINE_SYM(curl_version_info);
DEFINE_SYM(curl_url_get);
DEFINE_SYM(curl_free);

DEFINE_SYM(EVP_DecodeBlock);
DEFINE_SYM(EVP_EncodeBlock);
DEFINE_SYM(EVP_MD_CTX_new);
DEFINE_SYM(EVP_MD_CTX_free);
DEFINE_SYM(EVP_DigestInit_ex);
DEFINE_SYM(EVP_DigestUpdate);
DEFINE_SYM(EVP_DigestFinal_ex);
DEFINE_SYM(EVP_MD_get_size);
DEFINE_SYM(EVP_sha256);
DEFINE_SYM(EVP_sha512);
DEFINE_SYM(OpenSSL_version);

DEFINE_SYM(crypt_init);
DEFINE_SYM(crypt_free);
DEFINE_SYM(crypt_load);
DEFINE_SYM(crypt_get_label);
DEFINE_SYM(crypt_get_uuid);
DEFINE_SYM(crypt_persistent_flags_get);
DEFINE_SYM(crypt_persistent_flags_set);
DEFINE_SYM(crypt_activate_by_passphrase);
DEFINE_SYM(crypt_set_rng_type);
DEFINE_SYM(crypt_set_metadata_size);
DEFINE_SYM(crypt_set_data_offset);
DEFINE_SYM(crypt_get_pbkdf_default);
DEFINE_SYM(crypt_set_pbkdf_type);
DEFINE_SYM(crypt_format);
DEFINE_SYM(crypt_keyslot_add_by_volume_key);
DEFINE_SYM(crypt_keyslot_destroy);
DEFINE_SYM(crypt_deactivate);

DEFINE_SYM(mnt_new_context);
DEFINE_SYM(mnt_free_context);
DEFINE_SYM(mnt_context_set_source);
DEFINE_SYM(mnt_context_set_target);
DEFINE_SYM(mnt_context_set_fstype);
DEFINE_SYM(mnt_context_set_options);
DEFINE_SYM(mnt_context_set_optsmode);
DEFINE_SYM(mnt_context_disable_canonicalize);
DEFINE_SYM(mnt_context_disable_mtab);
DEFINE_SYM(mnt_context_disable_helpers);
DEFINE_SYM(mnt_context_mount);
DEFINE_SYM(mnt_context_umount);
DEFINE_SYM(mnt_context_get_status);
DEFINE_SYM(mnt_context_get_syscall_errno);
DEFINE_SYM(mnt_context_get_excode);
DEFINE_SYM(mnt_get_library_version);

DEFINE_SYM(blkid_new_probe);
DEFINE_SYM(blkid_new_probe_from_filename);
DEFINE_SYM(blkid_free_probe);
DEFINE_SYM(blkid_probe_set_device);
DEFINE_SYM(blkid_probe_enable_superblocks);
DEFINE_SYM(blkid_probe_set_superblocks_flags);
DEFINE_SYM(blkid_probe_enable_partitions);
DEFINE_SYM(blkid_probe_set_partitions_flags);
DEFINE_SYM(blkid_do_probe);
DEFINE_SYM(blkid_do_safeprobe);
DEFINE_SYM(blkid_do_wipe);
DEFINE_SYM(blkid_probe_lookup_value);
DEFINE_SYM(blkid_get_library_version);

DEFINE_SYM(fdisk_new_context);
DEFINE_SYM(fdisk_unref_context);
DEFINE_SYM(fdisk_disable_dialogs);
DEFINE_SYM(fdisk_enable_listonly);
DEFINE_SYM(fdisk_assign_device);
DEFINE_SYM(fdisk_deassign_device);
DEFINE_SYM(fdisk_get_partitions);
DEFINE_SYM(fdisk_new_iter);
DEFINE_SYM(fdisk_free_iter);
DEFINE_SYM(fdisk_table_next_partition);
DEFINE_SYM(fdisk_unref_table);
DEFINE_SYM(fdisk_partition_get_type);
DEFINE_SYM(fdisk_partition_is_used);
DEFINE_SYM(fdisk_partition_has_partno);
DEFINE_SYM(fdisk_partition_get_partno);
DEFINE_SYM(fdisk_partition_get_start);
DEFINE_SYM(fdisk_partition_get_size);
DEFINE_SYM(fdisk_parttype_get_string);
DEFINE_SYM(fdisk_partition_get_uuid);
DEFINE_SYM(fdisk_partition_get_name);
DEFINE_SYM(fdisk_get_sector_size);
DEFINE_SYM(fdisk_get_nsectors);
DEFINE_SYM(fdisk_has_label);
DEFINE_SYM(fdisk_label_get_name);
DEFINE_SYM(fdisk_get_label);
DEFINE_SYM(fdisk_get_first_lba);
DEFINE_SYM(fdisk_get_last_lba);
DEFINE_SYM(fdisk_get_npartitions);
DEFINE_SYM(fdisk_new_partition);
DEFINE_SYM(fdisk_partition_set_partno);
DEFINE_SYM(fdisk_partition_set_start);
DEFINE_SYM(fdisk_partition_set_size);
DEFINE_SYM(fdisk_partition_size_explicit);
DEFINE_SYM(fdisk_partition_set_name);
DEFINE_SYM(fdisk_partition_set_uuid);
DEFINE_SYM(fdisk_label_parse_parttype);
DEFINE_SYM(fdisk_partition_set_type);
DEFINE_SYM(fdisk_unref_parttype);
DEFINE_SYM(fdisk_add_partition);
DEFINE_SYM(fdisk_unref_partition);
DEFINE_SYM(fdisk_new_script);
DEFINE_SYM(fdisk_script_set_header);
DEFINE_SYM(fdisk_apply_script_headers);
DEFINE_SYM(fdisk_set_script);
DEFINE_SYM(fdisk_unref_script);
DEFINE_SYM(fdisk_delete_partition);
DEFINE_SYM(fdisk_write_disklabel);
DEFINE_SYM(fdisk_get_devfd);
DEFINE_SYM(fdisk_get_library_version);

/* Debian's libcurl pulls in GnuTLS (through librtmp and libldap) although
 * none of the protocols ignis lets it speak uses it; GnuTLS's library
 * constructor would initialise itself anyway (its config, its PKCS#11 and
 * random-number state): ~0.9 MiB of touched pages at every dlopen of
 * libcurl (bench/README.md, fetch.sh). This is GnuTLS's documented hook to
 * skip that implicit initialisation (GNUTLS_SKIP_GLOBAL_INIT); the linker
 * exports it from the executable (src/meson.build) so that the constructor
 * finds it. A program that does use GnuTLS still calls gnutls_global_init()
 * itself, as libcurl's GnuTLS flavour does. */
int _gnutls_global_init_skip(void);
int _gnutls_global_init_skip(void)
{
        return 1;
}

struct sym {
        const char *name;
        void **ptr;
};

/* Loads soname once and resolves every symbol, or none: a half-loaded
 * library would fail later in a place that cannot explain why. */
static int load(const char *soname, const struct sym *syms, size_t n, void **handle, int *state)
{
        void *h;

        if (*state != 0)
                return *state > 0 ? 0 : *state;
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                log_error("Cannot load %s: %s", soname, dlerror());
                return *state = -EOPNOTSUPP;
        }
        for (size_t i = 0; i < n; i++) {
                *syms[i].ptr = dlsym(h, syms[i].name);
                if (!*syms[i].ptr) {
                        log_error("%s lacks %s: %s", soname, syms[i].name, dlerror());
                        for (size_t j = 0; j < n; j++)
                                *syms[j].ptr = NULL;
                        dlclose(h);
                        return *state = -EOPNOTSUPP;
                }
        }
        *handle = h;
        *state = 1;
        return 0;
}

int dlopen_curl(void)
{
        static void *handle;
        static int state;
        static const struct sym syms[] = {
                SYM(curl_url),
                SYM(curl_url_set),
                SYM(curl_url_cleanup),
                SYM(curl_url_strerror),
                SYM(curl_global_init),
                SYM(curl_easy_init),
                SYM(curl_easy_setopt),
                SYM(curl_easy_perform),
                SYM(curl_easy_getinfo),
                SYM(curl_easy_cleanup),
                SYM(curl_easy_strerror),
                SYM(curl_easy_reset),
                SYM(curl_slist_append),
                SYM(curl_slist_free_all),
                SYM(curl_version_info),
                SYM(curl_url_get),
                SYM(curl_free),
        };

        return load(IGNIS_LIBCURL_SONAME, syms, sizeof(syms) / sizeof(syms[0]), &handle, &state);
}

int dlopen_crypto(void)
{
        static void *handle;
        static int state;
        static const struct sym syms[] = {
                SYM(EVP_DecodeBlock),
                SYM(EVP_EncodeBlock),
                SYM(EVP_MD_CTX_new),
                SYM(EVP_MD_CTX_free),
                SYM(EVP_DigestInit_ex),
                SYM(EVP_DigestUpdate),
                SYM(EVP_DigestFinal_ex),
                SYM(EVP_MD_get_size),
                SYM(EVP_sha256),
                SYM(EVP_sha512),
                SYM(OpenSSL_version),
        };

        return load(IGNIS_LIBCRYPTO_SONAME, syms, sizeof(syms) / sizeof(syms[0]), &handle, &state);
}

int dlopen_cryptsetup(void)
{
        static void *handle;
        static int state;
        static const struct sym syms[] = {
                SYM(crypt_init),
                SYM(crypt_free),
                SYM(crypt_load),
                SYM(crypt_get_label),
                SYM(crypt_get_uuid),
                SYM(crypt_persistent_flags_get),
                SYM(crypt_persistent_flags_set),
                SYM(crypt_activate_by_passphrase),
                SYM(crypt_set_rng_type),
                SYM(crypt_set_metadata_size),
                SYM(crypt_set_data_offset),
                SYM(crypt_get_pbkdf_default),
                SYM(crypt_set_pbkdf_type),
                SYM(crypt_format),
                SYM(crypt_keyslot_add_by_volume_key),
                SYM(crypt_keyslot_destroy),
                SYM(crypt_deactivate),
        };

        return load(IGNIS_LIBCRYPTSETUP_SONAME, syms, sizeof(syms) / sizeof(syms[0]), &handle, &state);
}

int dlopen_mount(void)
{
        static void *handle;
        static int state;
        static const struct sym syms[] = {
                SYM(mnt_new_context),
                SYM(mnt_free_context),
                SYM(mnt_context_set_source),
                SYM(mnt_context_set_target),
                SYM(mnt_context_set_fstype),
                SYM(mnt_context_set_options),
                SYM(mnt_context_set_optsmode),
                SYM(mnt_context_disable_canonicalize),
                SYM(mnt_context_disable_mtab),
                SYM(mnt_context_disable_helpers),
                SYM(mnt_context_mount),
                SYM(mnt_context_umount),
                SYM(mnt_context_get_status),
                SYM(mnt_context_get_syscall_errno),
                SYM(mnt_context_get_excode),
                SYM(mnt_get_library_version),
        };

        return load(IGNIS_LIBMOUNT_SONAME, syms, sizeof(syms) / sizeof(syms[0]), &handle, &state);
}

int dlopen_blkid(void)
{
        static void *handle;
        static int state;
        static const struct sym syms[] = {
                SYM(blkid_new_probe),
                SYM(blkid_new_probe_from_filename),
                SYM(blkid_free_probe),
                SYM(blkid_probe_set_device),
                SYM(blkid_probe_enable_superblocks),
                SYM(blkid_probe_set_superblocks_flags),
                SYM(blkid_probe_enable_partitions),
                SYM(blkid_probe_set_partitions_flags),
                SYM(blkid_do_probe),
                SYM(blkid_do_safeprobe),
                SYM(blkid_do_wipe),
                SYM(blkid_probe_lookup_value),
                SYM(blkid_get_library_version),
        };

        return load(IGNIS_LIBBLKID_SONAME, syms, sizeof(syms) / sizeof(syms[0]), &handle, &state);
}

int dlopen_fdisk(void)
{
        static void *handle;
        static int state;
        static const struct sym syms[] = {
                SYM(fdisk_new_context),
                SYM(fdisk_unref_context),
                SYM(fdisk_disable_dialogs),
                SYM(fdisk_enable_listonly),
                SYM(fdisk_assign_device),
                SYM(fdisk_deassign_device),
                SYM(fdisk_get_partitions),
                SYM(fdisk_new_iter),
                SYM(fdisk_free_iter),
                SYM(fdisk_table_next_partition),
                SYM(fdisk_unref_table),
                SYM(fdisk_partition_get_type),
                SYM(fdisk_partition_is_used),
                SYM(fdisk_partition_has_partno),
                SYM(fdisk_partition_get_partno),
                SYM(fdisk_partition_get_start),
                SYM(fdisk_partition_get_size),
                SYM(fdisk_parttype_get_string),
                SYM(fdisk_partition_get_uuid),
                SYM(fdisk_partition_get_name),
                SYM(fdisk_get_sector_size),
                SYM(fdisk_get_nsectors),
                SYM(fdisk_has_label),
                SYM(fdisk_label_get_name),
                SYM(fdisk_get_label),
                SYM(fdisk_get_first_lba),
                SYM(fdisk_get_last_lba),
                SYM(fdisk_get_npartitions),
                SYM(fdisk_new_partition),
                SYM(fdisk_partition_set_partno),
                SYM(fdisk_partition_set_start),
                SYM(fdisk_partition_set_size),
                SYM(fdisk_partition_size_explicit),
                SYM(fdisk_partition_set_name),
                SYM(fdisk_partition_set_uuid),
                SYM(fdisk_label_parse_parttype),
                SYM(fdisk_partition_set_type),
                SYM(fdisk_unref_parttype),
                SYM(fdisk_add_partition),
                SYM(fdisk_unref_partition),
                SYM(fdisk_new_script),
                SYM(fdisk_script_set_header),
                SYM(fdisk_apply_script_headers),
                SYM(fdisk_set_script),
                SYM(fdisk_unref_script),
                SYM(fdisk_delete_partition),
                SYM(fdisk_write_disklabel),
                SYM(fdisk_get_devfd),
                SYM(fdisk_get_library_version),
        };

        return load(IGNIS_LIBFDISK_SONAME, syms, sizeof(syms) / sizeof(syms[0]), &handle, &state);
}
