/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcurl and libcrypto are loaded when first needed, not at start-up.
 * Linked normally, libcurl alone (with its TLS, IDN, LDAP, SSH, ...
 * dependencies) costs every ignis process ~10 ms and ~5 MiB before it does
 * anything — most runs (validate, a config with only data: URLs) never use
 * it. Callers call dlopen_curl()/dlopen_crypto() and then the sym_ pointers. */

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <libcryptsetup.h>
#include <blkid/blkid.h>
#include <libfdisk/libfdisk.h>
#include <libmount/libmount.h>
#include <openssl/evp.h>

int dlopen_curl(void);
int dlopen_crypto(void);
/* Only the disks stage formats LUKS volumes; libcryptsetup brings
 * libdevmapper, libcrypto, libargon2 and libjson-c with it. */
int dlopen_cryptsetup(void);
/* Only mounting needs libmount (the mount stage, config media), and it
 * brings libselinux and libpcre2 with it: ~0.5 MiB of touched pages that
 * the fetch and disks stages would map for nothing. */
int dlopen_mount(void);
/* Only what reads or writes block devices needs libblkid (signatures: the
 * disks stage, config media) and libfdisk (partition tables: the disks
 * stage, ignis plan). libfdisk brings libblkid and libuuid with it; linked,
 * the three cost every stage process their mapping and relocation at start
 * (bench/README.md). */
int dlopen_blkid(void);
int dlopen_fdisk(void);

#define IGNIS_DLSYM_EXTERN(name) extern __typeof__(name) *sym_##name

IGNIS_DLSYM_EXTERN(curl_url);
IGNIS_DLSYM_EXTERN(curl_url_set);
IGNIS_DLSYM_EXTERN(curl_url_cleanup);
IGNIS_DLSYM_EXTERN(curl_url_strerror);
IGNIS_DLSYM_EXTERN(curl_global_init);
IGNIS_DLSYM_EXTERN(curl_easy_init);
IGNIS_DLSYM_EXTERN(curl_easy_setopt);
IGNIS_DLSYM_EXTERN(curl_easy_perform);
IGNIS_DLSYM_EXTERN(curl_easy_getinfo);
IGNIS_DLSYM_EXTERN(curl_easy_cleanup);
IGNIS_DLSYM_EXTERN(curl_easy_strerror);
IGNIS_DLSYM_EXTERN(curl_easy_reset);
IGNIS_DLSYM_EXTERN(curl_slist_append);
IGNIS_DLSYM_EXTERN(curl_slist_free_all);
IGNIS_DLSYM_EXTERN(curl_version_info);
IGNIS_DLSYM_EXTERN(curl_url_get);
IGNIS_DLSYM_EXTERN(curl_free);

IGNIS_DLSYM_EXTERN(EVP_DecodeBlock);
IGNIS_DLSYM_EXTERN(EVP_EncodeBlock);
IGNIS_DLSYM_EXTERN(EVP_MD_CTX_new);
IGNIS_DLSYM_EXTERN(EVP_MD_CTX_free);
IGNIS_DLSYM_EXTERN(EVP_DigestInit_ex);
IGNIS_DLSYM_EXTERN(EVP_DigestUpdate);
IGNIS_DLSYM_EXTERN(EVP_DigestFinal_ex);
IGNIS_DLSYM_EXTERN(EVP_MD_get_size);
IGNIS_DLSYM_EXTERN(EVP_sha256);
IGNIS_DLSYM_EXTERN(EVP_sha512);
IGNIS_DLSYM_EXTERN(OpenSSL_version);

IGNIS_DLSYM_EXTERN(crypt_init);
IGNIS_DLSYM_EXTERN(crypt_free);
IGNIS_DLSYM_EXTERN(crypt_load);
IGNIS_DLSYM_EXTERN(crypt_get_label);
IGNIS_DLSYM_EXTERN(crypt_get_uuid);
IGNIS_DLSYM_EXTERN(crypt_persistent_flags_get);
IGNIS_DLSYM_EXTERN(crypt_persistent_flags_set);
IGNIS_DLSYM_EXTERN(crypt_activate_by_passphrase);
IGNIS_DLSYM_EXTERN(crypt_set_rng_type);
IGNIS_DLSYM_EXTERN(crypt_set_metadata_size);
IGNIS_DLSYM_EXTERN(crypt_set_data_offset);
IGNIS_DLSYM_EXTERN(crypt_get_pbkdf_default);
IGNIS_DLSYM_EXTERN(crypt_set_pbkdf_type);
IGNIS_DLSYM_EXTERN(crypt_format);
IGNIS_DLSYM_EXTERN(crypt_keyslot_add_by_volume_key);
IGNIS_DLSYM_EXTERN(crypt_keyslot_destroy);
IGNIS_DLSYM_EXTERN(crypt_deactivate);

IGNIS_DLSYM_EXTERN(mnt_new_context);
IGNIS_DLSYM_EXTERN(mnt_free_context);
IGNIS_DLSYM_EXTERN(mnt_context_set_source);
IGNIS_DLSYM_EXTERN(mnt_context_set_target);
IGNIS_DLSYM_EXTERN(mnt_context_set_fstype);
IGNIS_DLSYM_EXTERN(mnt_context_set_options);
IGNIS_DLSYM_EXTERN(mnt_context_set_optsmode);
IGNIS_DLSYM_EXTERN(mnt_context_disable_canonicalize);
IGNIS_DLSYM_EXTERN(mnt_context_disable_mtab);
IGNIS_DLSYM_EXTERN(mnt_context_disable_helpers);
IGNIS_DLSYM_EXTERN(mnt_context_mount);
IGNIS_DLSYM_EXTERN(mnt_context_umount);
IGNIS_DLSYM_EXTERN(mnt_context_get_status);
IGNIS_DLSYM_EXTERN(mnt_context_get_syscall_errno);
IGNIS_DLSYM_EXTERN(mnt_context_get_excode);
IGNIS_DLSYM_EXTERN(mnt_get_library_version);

IGNIS_DLSYM_EXTERN(blkid_new_probe);
IGNIS_DLSYM_EXTERN(blkid_new_probe_from_filename);
IGNIS_DLSYM_EXTERN(blkid_free_probe);
IGNIS_DLSYM_EXTERN(blkid_probe_set_device);
IGNIS_DLSYM_EXTERN(blkid_probe_enable_superblocks);
IGNIS_DLSYM_EXTERN(blkid_probe_set_superblocks_flags);
IGNIS_DLSYM_EXTERN(blkid_probe_enable_partitions);
IGNIS_DLSYM_EXTERN(blkid_probe_set_partitions_flags);
IGNIS_DLSYM_EXTERN(blkid_do_probe);
IGNIS_DLSYM_EXTERN(blkid_do_safeprobe);
IGNIS_DLSYM_EXTERN(blkid_do_wipe);
IGNIS_DLSYM_EXTERN(blkid_probe_lookup_value);
IGNIS_DLSYM_EXTERN(blkid_get_library_version);

IGNIS_DLSYM_EXTERN(fdisk_new_context);
IGNIS_DLSYM_EXTERN(fdisk_unref_context);
IGNIS_DLSYM_EXTERN(fdisk_disable_dialogs);
IGNIS_DLSYM_EXTERN(fdisk_enable_listonly);
IGNIS_DLSYM_EXTERN(fdisk_assign_device);
IGNIS_DLSYM_EXTERN(fdisk_deassign_device);
IGNIS_DLSYM_EXTERN(fdisk_get_partitions);
IGNIS_DLSYM_EXTERN(fdisk_new_iter);
IGNIS_DLSYM_EXTERN(fdisk_free_iter);
IGNIS_DLSYM_EXTERN(fdisk_table_next_partition);
IGNIS_DLSYM_EXTERN(fdisk_unref_table);
IGNIS_DLSYM_EXTERN(fdisk_partition_get_type);
IGNIS_DLSYM_EXTERN(fdisk_partition_is_used);
IGNIS_DLSYM_EXTERN(fdisk_partition_has_partno);
IGNIS_DLSYM_EXTERN(fdisk_partition_get_partno);
IGNIS_DLSYM_EXTERN(fdisk_partition_get_start);
IGNIS_DLSYM_EXTERN(fdisk_partition_get_size);
IGNIS_DLSYM_EXTERN(fdisk_parttype_get_string);
IGNIS_DLSYM_EXTERN(fdisk_partition_get_uuid);
IGNIS_DLSYM_EXTERN(fdisk_partition_get_name);
IGNIS_DLSYM_EXTERN(fdisk_get_sector_size);
IGNIS_DLSYM_EXTERN(fdisk_get_nsectors);
IGNIS_DLSYM_EXTERN(fdisk_has_label);
IGNIS_DLSYM_EXTERN(fdisk_label_get_name);
IGNIS_DLSYM_EXTERN(fdisk_get_label);
IGNIS_DLSYM_EXTERN(fdisk_get_first_lba);
IGNIS_DLSYM_EXTERN(fdisk_get_last_lba);
IGNIS_DLSYM_EXTERN(fdisk_get_npartitions);
IGNIS_DLSYM_EXTERN(fdisk_new_partition);
IGNIS_DLSYM_EXTERN(fdisk_partition_set_partno);
IGNIS_DLSYM_EXTERN(fdisk_partition_set_start);
IGNIS_DLSYM_EXTERN(fdisk_partition_set_size);
IGNIS_DLSYM_EXTERN(fdisk_partition_size_explicit);
IGNIS_DLSYM_EXTERN(fdisk_partition_set_name);
IGNIS_DLSYM_EXTERN(fdisk_partition_set_uuid);
IGNIS_DLSYM_EXTERN(fdisk_label_parse_parttype);
IGNIS_DLSYM_EXTERN(fdisk_partition_set_type);
IGNIS_DLSYM_EXTERN(fdisk_unref_parttype);
IGNIS_DLSYM_EXTERN(fdisk_add_partition);
IGNIS_DLSYM_EXTERN(fdisk_unref_partition);
IGNIS_DLSYM_EXTERN(fdisk_new_script);
IGNIS_DLSYM_EXTERN(fdisk_script_set_header);
IGNIS_DLSYM_EXTERN(fdisk_apply_script_headers);
IGNIS_DLSYM_EXTERN(fdisk_set_script);
IGNIS_DLSYM_EXTERN(fdisk_unref_script);
IGNIS_DLSYM_EXTERN(fdisk_delete_partition);
IGNIS_DLSYM_EXTERN(fdisk_write_disklabel);
IGNIS_DLSYM_EXTERN(fdisk_get_devfd);
IGNIS_DLSYM_EXTERN(fdisk_get_library_version);
