/* SPDX-License-Identifier: Apache-2.0 */
/* The platforms this build serves, one line each: PLATFORM(id) stands for
 * `const struct provider provider_<id>` defined in src/providers/. Included
 * twice by providers.c (declarations, then the table); no include guard. */
PLATFORM(ibmcloud)
PLATFORM(kubevirt)
PLATFORM(metal)
PLATFORM(nocloud)
PLATFORM(nutanix)
PLATFORM(powervs)
PLATFORM(proxmoxve)
PLATFORM(qemu)
