/*
 * pool.c - a fixed set of worker threads taking jobs in FIFO order.
 *
 * DESIGN: one mutex guards the queue and every job's `done` flag; `work`
 * wakes workers, `finished` wakes whoever waits for a job. The caller bounds
 * the jobs in flight (a ring of slots in the writer and the decoder), so the
 * queue needs no capacity limit and submit never blocks. When a thread cannot
 * be started (an address-space limit), the pool has the ones that could:
 * pool_threads says how many. A pool of 0 threads has no workers: submit runs
 * each job in the caller, so a reader told to use one thread starts none.
 * Shutdown: set `stop`,
 * wake everyone, workers leave once the queue is empty, then join.
 */
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>

struct pool_worker {
    struct pool *pool;
    unsigned index;
    pthread_t thread;
};

struct pool {
    pthread_mutex_t lock;
    pthread_cond_t work, finished;
    struct pool_job *head, *tail;
    bool stop;
    bool inline_jobs; /* no workers: submit runs the job (pool_create(0)) */
    unsigned nthreads, started;
    struct pool_worker *workers;
};

static void *worker_main(void *arg)
{
    struct pool_worker *w = arg;
    struct pool *p = w->pool;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stop)
            pthread_cond_wait(&p->work, &p->lock);
        struct pool_job *job = p->head;
        if (!job)
            break; /* stop and drained */
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->lock);
        job->fn(job->arg, w->index);
        pthread_mutex_lock(&p->lock);
        job->done = 1;
        pthread_cond_broadcast(&p->finished);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

adbk_status pool_create(unsigned threads, struct pool **out, struct adbk_error *err)
{
    struct pool *p = calloc(1, sizeof *p);
    if (!p)
        return err_set(err, ADBK_E_NOMEM, "no memory for a thread pool");
    p->nthreads = threads ? threads : 1;
    p->inline_jobs = threads == 0;
    p->workers = calloc(p->nthreads, sizeof *p->workers);
    if (!p->workers) {
        free(p);
        return err_set(err, ADBK_E_NOMEM, "no memory for %u worker threads", threads);
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->finished, NULL);
    for (unsigned i = 0; i < p->nthreads && !p->inline_jobs; i++) {
        p->workers[i].pool = p;
        p->workers[i].index = i;
        int rc = pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i]);
        if (rc != 0 && i == 0) {
            pool_free(p);
            return err_set(err, ADBK_E_NOMEM, "cannot start a worker thread");
        }
        if (rc != 0) { /* e.g. an address-space limit: fewer workers, same results */
            p->nthreads = i;
            break;
        }
        p->started++;
    }
    *out = p;
    return ADBK_OK;
}

void pool_submit(struct pool *p, struct pool_job *job, pool_fn fn, void *arg)
{
    job->fn = fn;
    job->arg = arg;
    job->next = NULL;
    if (p->inline_jobs) {
        fn(arg, 0);
        job->done = 1;
        return;
    }
    pthread_mutex_lock(&p->lock);
    job->done = 0;
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
}

void pool_wait(struct pool *p, struct pool_job *job)
{
    pthread_mutex_lock(&p->lock);
    while (!job->done)
        pthread_cond_wait(&p->finished, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

unsigned pool_threads(const struct pool *p)
{
    return p->nthreads;
}

void pool_free(struct pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->workers[i].thread, NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->finished);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}
