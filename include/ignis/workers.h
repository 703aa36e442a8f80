/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Batches of independent jobs run by the caller and a few threads. */

#include <stdbool.h>
#include <stddef.h>

struct workers;

/* Starts one thread per extra CPU (at most three). NULL on a single CPU or
 * when no thread can be started: workers_run() then runs the jobs itself. */
struct workers *workers_new(void);

/* Runs fn on each of njobs jobs (an array of elements of size bytes), in
 * no particular order and concurrently; returns when all are done. fn must
 * be thread-safe and must not log. w may be NULL. */
void workers_run(struct workers *w, void *jobs, size_t njobs, size_t size, void (*fn)(void *job));

void workers_free(struct workers *w);
