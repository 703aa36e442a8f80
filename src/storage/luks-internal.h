/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "ignis/config.h"

/* luksFormat options from the config; 0/NULL = libcryptsetup's default.
 * Strings point into the config. */
struct luks_format_opts {
        const char *cipher;     /* "aes-xts-plain64" */
        uint32_t key_size_bits;
        const char *hash;
        const char *pbkdf;
        uint32_t iter_time_ms;
        uint32_t pbkdf_memory_kb;
        uint32_t pbkdf_parallel;
        uint32_t pbkdf_iterations;
        uint32_t sector_size;
        const char *integrity;
        const char *label;
        const char *subsystem;
        const char *uuid;
        const char *type;
        uint64_t metadata_size;
        uint64_t keyslots_size;
        uint64_t offset_sectors;
        uint32_t align_sectors;
        bool use_random;
        bool use_urandom;
        bool integrity_no_wipe;
};

/* Clevis (clevis.c). */
bool luks_has_clevis(const struct ig_luks *l);
/* The tools binding l's pins needs are installed: clevis, clevis luks,
 * cryptsetup, pwmake and each pin's encrypt tool; 0 or -ENOENT (logged). */
int clevis_check(const struct ig_luks *l, const char *what);
/* The sss pin config Ignition builds:
 * {"t":THRESHOLD,"pins":{"tang":[{"url","thp","adv"}],"tpm2":{}}}, with
 * each Tang advertisement the config lacks fetched from URL/adv; *reached
 * counts the pins known to work right now (those fetched, tpm2). 0 or a
 * negative errno (logged). */
int clevis_sss_config(const struct ig_luks *l, const char *what, char **ret, int *reached);
/* The pins for a log line ("sss, threshold 1, tang http://host/, tpm2"):
 * Tang URLs without userinfo, query or fragment; a custom config not at
 * all. malloc'd. */
char *clevis_describe_pins(const struct ig_luks *l);
/* Binds l's pins to the LUKS2 volume on dev, which key opens (Tang
 * advertisements fetched first when the config has none); when the pins
 * just reached meet the threshold, /dev/mapper/NAME is closed and opened
 * again by them. 0 or a negative errno (logged). */
int clevis_bind(const struct ig_luks *l, const char *dev, const char *what, const char *key, size_t key_len);

/* 0, or -EINVAL after logging every bad option (naming what). */
int luks_parse_format_options(const struct ig_strv *o, const char *what, struct luks_format_opts *ret);
/* ORs the CRYPT_ACTIVATE_* flags of openOptions into *flags. */
int luks_parse_open_options(const struct ig_strv *o, const char *what, uint32_t *flags);
