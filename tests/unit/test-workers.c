/* SPDX-License-Identifier: Apache-2.0 */
/* src/util/workers.c: every job of a batch runs exactly once, batches can
 * follow each other, results are visible to the caller afterwards, and
 * without threads the caller runs the jobs itself. */

#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "ignis/workers.h"
#include "tap.h"

struct job {
        unsigned index;
        unsigned runs;
        unsigned result;
        pthread_t by;
};

static void run(void *arg)
{
        struct job *j = arg;

        j->runs++;
        j->result = j->index * 7 + 1;
        j->by = pthread_self();
        /* Some work, so that the threads really overlap. */
        for (volatile unsigned i = 0; i < 2000; i++)
                ;
}

/* Jobs that wait (up to 10 s) until two threads are inside the batch: with
 * workers, the batch is only done quickly if a second thread took part. */
static unsigned inside;

static void meet(void *arg)
{
        static __thread bool counted;
        struct job *j = arg;
        struct timespec pause = { 0, 100000 };

        if (!counted) {
                counted = true;
                __atomic_add_fetch(&inside, 1, __ATOMIC_SEQ_CST);
        }
        for (int i = 0; i < 100000 && __atomic_load_n(&inside, __ATOMIC_SEQ_CST) < 2; i++)
                nanosleep(&pause, NULL);
        j->runs++;
        j->by = pthread_self();
}

static bool check(struct job *v, size_t n, unsigned runs)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].runs != runs || v[i].result != v[i].index * 7 + 1)
                        return false;
        return true;
}

int main(void)
{
        static struct job v[1000];
        struct workers *w = workers_new();
        bool other_thread = false;

        for (unsigned i = 0; i < 1000; i++)
                v[i] = (struct job) { .index = i };

        workers_run(w, v, 1000, sizeof(v[0]), run);
        tap_ok(check(v, 1000, 1), "a batch of 1000: each job ran once, its result is visible");

        if (w) {
                static struct job m[64];
                workers_run(w, m, 64, sizeof(m[0]), meet);
                for (size_t i = 0; i < 64; i++)
                        other_thread |= !pthread_equal(m[i].by, pthread_self());
                tap_ok(__atomic_load_n(&inside, __ATOMIC_SEQ_CST) >= 2 && other_thread,
                       "with threads, a second thread takes part in a batch");
        } else
                tap_ok(true, "# SKIP a single CPU: no worker threads");

        for (int round = 2; round <= 20; round++)
                workers_run(w, v, 1000, sizeof(v[0]), run);
        tap_ok(check(v, 1000, 20), "twenty batches in a row: each job ran twenty times");

        workers_run(w, v, 0, sizeof(v[0]), run);
        tap_ok(check(v, 1000, 20), "an empty batch runs nothing");
        workers_run(w, v, 1, sizeof(v[0]), run);
        tap_ok(v[0].runs == 21 && check(v + 1, 999, 20), "a batch of one runs one job");
        workers_free(w);

        memset(v, 0, sizeof(v));
        for (unsigned i = 0; i < 1000; i++)
                v[i].index = i;
        workers_run(NULL, v, 1000, sizeof(v[0]), run);
        tap_ok(check(v, 1000, 1), "without workers the caller runs every job once");
        other_thread = false;
        for (size_t i = 0; i < 1000; i++)
                other_thread |= !pthread_equal(v[i].by, pthread_self());
        tap_ok(!other_thread, "without workers every job ran in the caller's thread");
        workers_free(NULL);
        return tap_done();
}
