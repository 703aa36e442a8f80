/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Reads a whole file ("-" = stdin) into a NUL-terminated buffer. Refuses
 * files larger than max with -EFBIG (without reading them to the end). */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* The same for an open file descriptor (read from its current offset). */
int read_full_fd(int fd, size_t max, char **ret, size_t *ret_len);

/* write(2) until everything is written (EINTR retried). 0 or -errno. */
int loop_write(int fd, const void *data, size_t len);

/* mkdir -p for the agent's own state directories (not the target: those
 * go through rootfs.h). 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);
