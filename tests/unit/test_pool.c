/*
 * test_pool.c - the worker pool's ordered stage (format/lib/pool.c).
 *
 * Jobs whose first stage takes a varying time finish out of order; their
 * ordered stages must still run one at a time, in submission order, never
 * on the submitting thread when there are workers, each after its own job's
 * first stage; pool_wait returns only once both stages of the job ran. The
 * jobs are submitted as the writer and the reader do: a ring of slots, the
 * oldest waited for before its slot is used again.
 */
#include "harness.h"
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

enum { NJOBS = 400, RING = 8 };

struct run {
    pthread_t caller;
    atomic_int in_ordered;     /* ordered stages running now */
    int overlapped;            /* an ordered stage started while another ran */
    int on_caller;             /* ordered stages run on the submitting thread */
    int before_first;          /* ordered stage before its job's first stage */
    int log[NJOBS];            /* job numbers, in the order their stage ran */
    int nlog;                  /* only the running ordered stage writes these */
    unsigned workers_seen;     /* bit per worker index that ran an ordered stage */
};

struct job {
    struct run *run;
    int number;
    atomic_int first_done, ordered_done;
};

static void first_stage(void *arg, unsigned worker)
{
    (void)worker;
    struct job *j = arg;
    /* 0 to 300 microseconds, pseudo-random: later jobs often finish first */
    unsigned us = (unsigned)(j->number * 2654435761u) % 300;
    nanosleep(&(struct timespec){.tv_nsec = (long)us * 1000}, NULL);
    atomic_store(&j->first_done, 1);
}

static void ordered_stage(void *arg, unsigned worker)
{
    struct job *j = arg;
    struct run *r = j->run;
    if (atomic_fetch_add(&r->in_ordered, 1) != 0)
        r->overlapped++;
    if (pthread_equal(pthread_self(), r->caller))
        r->on_caller++;
    if (!atomic_load(&j->first_done))
        r->before_first++;
    if (worker < 32)
        r->workers_seen |= 1u << worker;
    r->log[r->nlog++] = j->number;
    atomic_store(&j->ordered_done, 1);
    atomic_fetch_sub(&r->in_ordered, 1);
}

/* Submits NJOBS jobs through a ring of RING slots; with_ordered(n) says
 * whether job n has an ordered stage. Returns how many pool_waits returned
 * before the job's ordered stage had run. */
static int run_ring(struct pool *p, struct run *r, int (*with_ordered)(int))
{
    static struct job jobs[RING];
    struct pool_job pj[RING];
    int early = 0;
    memset(pj, 0, sizeof pj);
    for (int n = 0; n < NJOBS + RING; n++) {
        int slot = n % RING;
        if (n >= RING) { /* the oldest in flight: wait, then check, then reuse */
            pool_wait(p, &pj[slot]);
            early += with_ordered(n - RING) && !atomic_load(&jobs[slot].ordered_done);
        }
        if (n >= NJOBS)
            continue;
        jobs[slot].run = r;
        jobs[slot].number = n;
        atomic_store(&jobs[slot].first_done, 0);
        atomic_store(&jobs[slot].ordered_done, 0);
        pool_submit(p, &pj[slot], first_stage, with_ordered(n) ? ordered_stage : NULL,
                    &jobs[slot]);
    }
    return early;
}

static int every(int n) { (void)n; return 1; }
static int every_third(int n) { return n % 3 == 0; }

static void check_log(const struct run *r, int (*with_ordered)(int))
{
    int want = 0, wrong = 0;
    for (int n = 0; n < NJOBS; n++)
        if (with_ordered(n))
            wrong += want < r->nlog && r->log[want++] != n;
    EXPECT_EQ_U64((uint64_t)want, (uint64_t)r->nlog);
    EXPECT_EQ_U64(0, (uint64_t)wrong);
    EXPECT_EQ_U64(0, (uint64_t)r->overlapped);
    EXPECT_EQ_U64(0, (uint64_t)r->before_first);
}

/* Runs the ring on a pool of `threads` workers and checks the stages' order,
 * and where they ran: never on the caller's thread, or (no workers) always. */
static void check_pool(unsigned threads, int (*with_ordered)(int), struct run *r)
{
    struct adbk_error err = {0};
    struct pool *p = NULL;
    REQUIRE_STATUS(ADBK_OK, pool_create(threads, &p, &err), &err);
    memset(r, 0, sizeof *r);
    r->caller = pthread_self();
    EXPECT_EQ_U64(0, (uint64_t)run_ring(p, r, with_ordered));
    check_log(r, with_ordered);
    EXPECT_EQ_U64(threads ? 0 : (uint64_t)r->nlog, (uint64_t)r->on_caller);
    pool_free(p);
}

static struct run r;

TEST(ordered_stages_run_one_at_a_time_in_submission_order_on_the_workers)
{
    check_pool(4, every, &r);
    /* the stage is not tied to one worker: whoever finishes runs it */
    EXPECT_TRUE(__builtin_popcount(r.workers_seen) >= 2);
}

TEST(jobs_without_an_ordered_stage_do_not_hold_up_the_others)
{
    check_pool(3, every_third, &r);
}

TEST(a_pool_without_workers_runs_both_stages_in_the_caller_in_order)
{
    check_pool(0, every, &r);
    EXPECT_EQ_U64(NJOBS, (uint64_t)r.nlog);
}

TEST_MAIN()
