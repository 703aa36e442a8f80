/* SPDX-License-Identifier: Apache-2.0 */
/* A few threads that run batches of independent jobs with the caller. Used
 * where the kernel does the work (creating a thousand small files): on two
 * CPUs two threads create files about twice as fast as one. The jobs of a
 * batch are taken in order from a shared counter; a batch returns when all
 * of them are done. Jobs must not log (the caller reports in order). */

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "ignis/log.h"
#include "ignis/workers.h"

struct workers {
        pthread_mutex_t lock;
        pthread_cond_t work, done;
        pthread_t *threads;
        unsigned n;
        /* the current batch */
        char *jobs;
        size_t njobs, size, next;
        void (*fn)(void *job);
        unsigned generation, active;
        bool stop;
};

/* Takes jobs until none are left. */
static void drain(struct workers *w)
{
        for (;;) {
                size_t i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED);
                if (i >= w->njobs)
                        return;
                w->fn(w->jobs + i * w->size);
        }
}

static void *worker_main(void *arg)
{
        struct workers *w = arg;
        unsigned seen = 0;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                while (w->generation == seen && !w->stop)
                        pthread_cond_wait(&w->work, &w->lock);
                if (w->stop)
                        break;
                seen = w->generation;
                pthread_mutex_unlock(&w->lock);
                drain(w);
                pthread_mutex_lock(&w->lock);
                if (--w->active == 0)
                        pthread_cond_signal(&w->done);
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

struct workers *workers_new(void)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        struct workers *w;

        /* One CPU: the caller alone does as well. */
        if (cpus < 2)
                return NULL;
        if (cpus > 4)
                cpus = 4;       /* directory locks limit what more would buy */
        w = xmalloc(sizeof(*w));
        *w = (struct workers) {};
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->work, NULL);
        pthread_cond_init(&w->done, NULL);
        w->threads = xmalloc(sizeof(pthread_t) * (size_t) (cpus - 1));
        for (long i = 0; i < cpus - 1; i++) {
                if (pthread_create(&w->threads[w->n], NULL, worker_main, w) != 0)
                        break;
                w->n++;
        }
        if (w->n == 0) {
                workers_free(w);
                return NULL;
        }
        return w;
}

void workers_run(struct workers *w, void *jobs, size_t njobs, size_t size, void (*fn)(void *job))
{
        if (!w) {
                for (size_t i = 0; i < njobs; i++)
                        fn((char *) jobs + i * size);
                return;
        }
        pthread_mutex_lock(&w->lock);
        w->jobs = jobs;
        w->njobs = njobs;
        w->size = size;
        w->fn = fn;
        w->next = 0;
        w->active = w->n;
        w->generation++;
        pthread_cond_broadcast(&w->work);
        pthread_mutex_unlock(&w->lock);

        drain(w);

        pthread_mutex_lock(&w->lock);
        while (w->active > 0)
                pthread_cond_wait(&w->done, &w->lock);
        pthread_mutex_unlock(&w->lock);
}

void workers_free(struct workers *w)
{
        if (!w)
                return;
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_broadcast(&w->work);
        pthread_mutex_unlock(&w->lock);
        for (unsigned i = 0; i < w->n; i++)
                pthread_join(w->threads[i], NULL);
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->lock);
        free(w->threads);
        free(w);
}
