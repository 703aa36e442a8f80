/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the platform files in src/providers/ share: where they look (every
 * root and endpoint can be moved by an environment variable, read only
 * here), config media, metadata services and decoding. */

#include <stdbool.h>
#include <stddef.h>

#include "ignis/http.h"
#include "ignis/providers.h"

/* --- env.c: the only place that reads the providers' environment --- */

/* /sys, or $IGNIS_SYSFS_ROOT (DMI and block devices are read below it). */
const char *provider_sysfs_root(void);
/* /dev, or $IGNIS_DEV_ROOT (where block devices named in sysfs are opened). */
const char *provider_dev_root(void);
/* The base URL of a metadata service: $IGNIS_ENDPOINT_<NAME> (NAME upper
 * case, '-' as '_'), else dflt ("http://169.254.169.254"). No trailing slash. */
const char *provider_endpoint(const char *name, const char *dflt);
/* Where the applehv config server is: "vsock:2:1024" (the host, port
 * 1024), or $IGNIS_APPLEHV_ENDPOINT ("tcp:127.0.0.1:PORT", "unix:/path",
 * "vsock:CID:PORT"). */
const char *provider_applehv_transport(void);
/* The retry budget of one metadata fetch in seconds: 120 (Ignition's), or
 * $IGNIS_PROVIDER_TIMEOUT. */
long metadata_budget_s(void);
/* How long to wait for a config medium to appear: dflt seconds, or
 * $IGNIS_MEDIA_WAIT. */
long provider_media_wait_s(long dflt);
/* VirtualBox's guest driver: $IGNIS_VBOXGUEST_DEVICE, else <dev>/vboxguest. */
const char *provider_vboxguest_device(void);
/* QEMU's fw_cfg directory: $IGNIS_FW_CFG_ROOT, else <sysfs>/firmware/qemu_fw_cfg. */
const char *provider_fw_cfg_root(void);
/* udev's runtime directory (its "queue" flag), or $IGNIS_UDEV_RUN_DIR. */
const char *provider_udev_run_dir(void);
/* systemd-networkd's DHCP leases directory, or $IGNIS_NETIF_LEASES_DIR. */
const char *provider_leases_dir(void);

/* $IGNIS_HYPERV_KVP_DEVICE, else /dev/vmbus/hv_kvp (a unix SOCK_SEQPACKET
 * socket there is connected to instead: a test's model of the driver). */
const char *provider_hyperv_kvp_device(void);
/* How long the KVP exchange waits for the host's next message before it
 * takes the pairs as complete: 1000 ms, or $IGNIS_HYPERV_KVP_QUIET_MS. */
long provider_hyperv_quiet_ms(void);

/* --- providers.c --- */

/* What provider_set_state_dir() set, or NULL. */
const char *provider_state_dir(void);

/* --- decode.c --- */

/* Base64 (whitespace between groups allowed, as services wrap lines) into a
 * NUL-terminated buffer. -EBADMSG for anything else. */
int provider_base64_decode(const char *in, size_t len, char **ret, size_t *ret_len);
/* If f holds gzip data (magic 1f 8b), replaces it with the decompressed
 * bytes (at most the config size limit) and logs it. 0 or -EBADMSG/-EFBIG
 * (logged, naming f->source). */
int provider_gunzip_if_gzip(struct fetched_config *f);
/* Whether data starts with text cloud-init reads but Ignition does not
 * (#cloud-config, a #! script, #include...). */
bool provider_is_cloud_init_data(const char *data, size_t len);
/* Whether data is an HTML page (after leading blanks: <!DOCTYPE or <html),
 * as a captive portal or a proxy's error page answering for a service. */
bool provider_looks_like_html(const char *data, size_t len);

/* --- media.c: config drives and provisioning CDs --- */

struct medium {
        char *dev;      /* /dev/sr0 */
        char *type;     /* iso9660, vfat, udf, ... */
        char *label;
};
void medium_free(struct medium *m);

/* The first block device (in sysfs order) whose filesystem label is one of
 * labels (exact match; NULL: any label) and, if types is not NULL, whose
 * type is one of types; polls once a second for up to wait_s seconds.
 * Returns 0 (found), -ENOENT (none; not logged), or another errno. */
int medium_find(const char *const *labels, const char *const *types, long wait_s, struct medium *ret);

/* Mounts m read-only in a private temporary directory, reads each of paths
 * (relative to the medium's root; a missing file gives NULL), unmounts.
 * data[i]/len[i] are NUL-terminated buffers. 0 or a negative errno (logged). */
int medium_read(const struct medium *m, const char *const *paths, size_t n, char **data, size_t *len);

/* The config-2 config drive's /openstack/latest/user_data (OpenStack,
 * Nutanix, PowerVS, KubeVirt): 0 with out->data set or NULL when the drive
 * has no user data; -ENOENT when no drive appeared within wait_s. */
int configdrive_fetch(const char *platform, long wait_s, struct fetched_config *out);
/* The NoCloud cidata medium's /user-data (and /vendor-data if asked): 0 with
 * a config or none (cloud-init data is reported and skipped), -ENOENT when
 * no medium appeared within wait_s. */
int nocloud_fetch(const char *platform, long wait_s, bool vendor_data, struct fetched_config *out);

/* --- metadata.c: link-local HTTP metadata services --- */

/* Dual-stack services (aws, scaleway): the IPv4 base if the kernel has a
 * route to it, else the IPv6 one, waiting up to budget_s for either (one
 * "waiting for a route to the SERVICE" line). *ret is v4 or v6. */
int metadata_pick_endpoint(const char *who, const char *service, const char *v4, const char *v6, long budget_s,
                           const char **ret);

/* Waits until the kernel has a route to req->url's host (DHCP may still be
 * running), one console line if it has to, within req->budget_s (set to the
 * providers' budget if 0), and leaves what is left of the budget in
 * req->budget_s. 0, or -ETIMEDOUT (logged, naming the host). */
int metadata_wait_route(struct http_request *req);
/* Performs req (GET unless req->method) with no proxy, the providers'
 * budget and the user data size limit, after metadata_wait_route(); 429 is
 * retried besides what the HTTP layer retries. Returns 0 with the body,
 * -ENOENT on 404, or another negative errno (logged). */
int metadata_fetch(struct http_request *req, char **ret, size_t *ret_len, struct http_response *resp);
/* The common case: GET url with headers; a 404 or an empty body is "no
 * config"; base64-decoded if the platform sends it so. Fills out. */
int metadata_fetch_userdata(const char *platform, const char *url, const char *const *headers, bool base64,
                            struct fetched_config *out);
/* The same for a request the caller set up (a source port, headers). */
int metadata_fetch_userdata_req(const char *platform, struct http_request *req, bool base64,
                                struct fetched_config *out);
/* base64 user data into out (source named after platform and url). */
int metadata_decode_base64(const char *platform, const char *url, char **body, size_t *len);

/* The value of KEY= in the first of systemd-networkd's DHCP lease files
 * (provider_leases_dir()) that has it; *file names that file. 0 or -ENOENT. */
int dhcp_lease_value(const char *key, char **value, char **file);

/* --- xml.c: just enough XML for ovf-env.xml and the wireserver --- */

/* The text of the first element whose local name (without a namespace
 * prefix) is name, with the five predefined entities and CDATA decoded.
 * Returns 0, -ENOENT when there is no such element, -EBADMSG when it is
 * not a simple text element. */
int xml_element_text(const char *xml, size_t len, const char *name, char **ret);
/* The value of attribute value_attr of the first element of local name
 * element whose attribute key_attr equals key (attribute names compared by
 * local name: oe:key matches "key"; values with entities decoded; "" when
 * the element has no value_attr). 0, -ENOENT when there is none, -EBADMSG
 * for a malformed tag. */
int xml_keyed_attribute(const char *xml, size_t len, const char *element, const char *key_attr, const char *key,
                        const char *value_attr, char **ret);
/* xml without the empty elements (<element .../>) of local name element
 * whose attribute key_attr is one of keys (NULL-terminated); everything
 * else byte for byte. 0 with *ret (NUL-terminated) and how many were
 * removed, -EBADMSG for a malformed tag or a matching element that is not
 * empty. */
int xml_remove_keyed_elements(const char *xml, size_t len, const char *element, const char *key_attr,
                              const char *const *keys, char **ret, size_t *ret_len, size_t *removed);
/* s with & < > " ' escaped and the control characters XML cannot carry
 * replaced by '?', for element text. */
char *xml_escape(const char *s);
/* The length of the longest prefix of s of at most max bytes that does not
 * end inside a UTF-8 sequence. */
size_t utf8_prefix(const char *s, size_t max);

/* --- detect.c --- */

/* The DMI string name (sys_vendor, ...) under <sysfs>/class/dmi/id,
 * trimmed; NULL if absent. */
char *dmi_read(const char *name);

/* --- azure-report.c --- */
int azure_report(bool ok, const char *summary);
