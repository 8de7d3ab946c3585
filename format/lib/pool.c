/*
 * pool.c - a fixed set of worker threads taking jobs in FIFO order, with an
 * optional ordered stage per job (internal.h).
 *
 * DESIGN: one mutex guards the queue, the ordered list and every job's flags;
 * `work` wakes workers, `finished` wakes whoever waits for a job. The
 * ordered list holds the jobs with an ordered stage in submission order; a
 * worker that finishes a job marks it ready and, unless another worker is
 * running an ordered stage (`ordering`), runs the head's stage while the head
 * is ready, then the next one's. A worker running stages always looks again
 * after each one, under the lock, so a job that became ready meanwhile is
 * never left behind. The caller bounds
 * the jobs in flight (a ring of slots in the writer and the decoder), so the
 * queue needs no capacity limit and submit never blocks. When a thread cannot
 * be started (an address-space limit), the pool has the ones that could:
 * pool_threads says how many. A pool of 0 threads has no workers: submit runs
 * each job in the caller, so a reader told to use one thread starts none.
 * Shutdown: set `stop`,
 * wake everyone, workers leave once the queue is empty, then join.
 */
#include "internal.h"

#include "threads.h"

#include <stdlib.h>

struct pool_worker {
    struct pool *pool;
    unsigned index;
    port_thread thread;
};

struct pool {
    port_mutex lock;
    port_cond work, finished;
    struct pool_job *head, *tail;
    struct pool_job *ohead, *otail; /* jobs whose ordered stage has not run */
    bool ordering;                  /* a worker is running ordered stages */
    bool stop;
    bool inline_jobs; /* no workers: submit runs the job (pool_create(0)) */
    unsigned nthreads, started;
    struct pool_worker *workers;
};

/* With the lock held: runs the ordered stages that are ready, in order,
 * unless another worker is already doing so (it will see them). */
static void run_ordered(struct pool *p, unsigned worker)
{
    while (!p->ordering && p->ohead && p->ohead->ready) {
        struct pool_job *job = p->ohead;
        p->ohead = job->next_ordered;
        if (!p->ohead)
            p->otail = NULL;
        p->ordering = true;
        port_mutex_unlock(&p->lock);
        job->ordered(job->arg, worker);
        port_mutex_lock(&p->lock);
        p->ordering = false;
        job->ready = 0;
        job->done = 1;
        port_cond_broadcast(&p->finished);
    }
}

static void *worker_main(void *arg)
{
    struct pool_worker *w = arg;
    struct pool *p = w->pool;
    port_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stop)
            port_cond_wait(&p->work, &p->lock);
        struct pool_job *job = p->head;
        if (!job)
            break; /* stop and drained */
        p->head = job->next;
        if (!p->head)
            p->tail = NULL;
        port_mutex_unlock(&p->lock);
        job->fn(job->arg, w->index);
        port_mutex_lock(&p->lock);
        if (job->ordered) {
            job->ready = 1;
            run_ordered(p, w->index);
        } else {
            job->done = 1;
            port_cond_broadcast(&p->finished);
        }
    }
    port_mutex_unlock(&p->lock);
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
    port_mutex_init(&p->lock);
    port_cond_init(&p->work);
    port_cond_init(&p->finished);
    for (unsigned i = 0; i < p->nthreads && !p->inline_jobs; i++) {
        p->workers[i].pool = p;
        p->workers[i].index = i;
        int rc = port_thread_create(&p->workers[i].thread, worker_main, &p->workers[i]);
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

void pool_submit(struct pool *p, struct pool_job *job, pool_fn fn, pool_fn ordered, void *arg)
{
    job->fn = fn;
    job->ordered = ordered;
    job->arg = arg;
    job->next = job->next_ordered = NULL;
    job->ready = 0;
    if (p->inline_jobs) { /* in the caller, one at a time: already in order */
        fn(arg, 0);
        if (ordered)
            ordered(arg, 0);
        job->done = 1;
        return;
    }
    port_mutex_lock(&p->lock);
    job->done = 0;
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    if (ordered) {
        if (p->otail)
            p->otail->next_ordered = job;
        else
            p->ohead = job;
        p->otail = job;
    }
    port_cond_signal(&p->work);
    port_mutex_unlock(&p->lock);
}

void pool_wait(struct pool *p, struct pool_job *job)
{
    port_mutex_lock(&p->lock);
    while (!job->done)
        port_cond_wait(&p->finished, &p->lock);
    port_mutex_unlock(&p->lock);
}

unsigned pool_threads(const struct pool *p)
{
    return p->nthreads;
}

void pool_free(struct pool *p)
{
    if (!p)
        return;
    port_mutex_lock(&p->lock);
    p->stop = true;
    port_cond_broadcast(&p->work);
    port_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->started; i++)
        port_thread_join(p->workers[i].thread);
    port_cond_destroy(&p->work);
    port_cond_destroy(&p->finished);
    port_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}
