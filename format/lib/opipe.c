/*
 * opipe.c - the ordered pipe: parallel jobs, output strictly in order.
 * Shared by the writer (compression) and the decoder (decompression); see
 * internal.h for the contract.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

adbk_status opipe_init(struct opipe *p, struct pool *pool, unsigned nslots,
                       adbk_status (*emit)(void *, const struct opipe_item *, struct adbk_error *),
                       void *ctx, struct adbk_error *err)
{
    memset(p, 0, sizeof *p);
    p->pool = pool;
    p->nslots = nslots;
    p->qcap = 4 * nslots + 8; /* room for the records between chunks */
    p->jobs = calloc(nslots, sizeof *p->jobs);
    p->busy = calloc(nslots, sizeof *p->busy);
    p->q = calloc(p->qcap, sizeof *p->q);
    p->emit = emit;
    p->ctx = ctx;
    if (!p->jobs || !p->busy || !p->q) {
        opipe_destroy(p, NULL);
        return err_set(err, ADBK_E_NOMEM, "no memory for a pipeline of %u slots", nslots);
    }
    return ADBK_OK;
}

static adbk_status emit_head(struct opipe *p, struct adbk_error *err)
{
    struct opipe_item it = p->q[p->qhead];
    p->qhead = (p->qhead + 1) % p->qcap;
    p->qlen--;
    if (it.slot >= 0) {
        pool_wait(p->pool, &p->jobs[it.slot]);
        p->busy[it.slot] = false;
    }
    return p->emit(p->ctx, &it, err);
}

adbk_status opipe_take_slot(struct opipe *p, unsigned *slot_out, struct adbk_error *err)
{
    unsigned s = p->next_slot;
    p->next_slot = (p->next_slot + 1) % p->nslots;
    while (p->busy[s]) {
        adbk_status st = emit_head(p, err);
        if (st != ADBK_OK)
            return st;
    }
    *slot_out = s;
    return ADBK_OK;
}

adbk_status opipe_push(struct opipe *p, struct opipe_item it, pool_fn fn, pool_fn ordered,
                       void *arg, struct adbk_error *err)
{
    while (p->qlen == p->qcap) {
        adbk_status st = emit_head(p, err);
        if (st != ADBK_OK)
            return st;
    }
    p->q[(p->qhead + p->qlen) % p->qcap] = it;
    p->qlen++;
    if (it.slot >= 0) {
        p->busy[it.slot] = true;
        pool_submit(p->pool, &p->jobs[it.slot], fn, ordered, arg);
    }
    return ADBK_OK;
}

void opipe_wait_slot(struct opipe *p, unsigned slot)
{
    if (p->busy && p->busy[slot])
        pool_wait(p->pool, &p->jobs[slot]);
}

adbk_status opipe_drain(struct opipe *p, struct adbk_error *err)
{
    while (p->qlen) {
        adbk_status st = emit_head(p, err);
        if (st != ADBK_OK)
            return st;
    }
    return ADBK_OK;
}

void opipe_destroy(struct opipe *p, void (*drop)(void *ctx, const struct opipe_item *it))
{
    for (unsigned s = 0; p->busy && s < p->nslots; s++)
        if (p->busy[s])
            pool_wait(p->pool, &p->jobs[s]);
    while (p->q && p->qlen) {
        if (drop)
            drop(p->ctx, &p->q[p->qhead]);
        p->qhead = (p->qhead + 1) % p->qcap;
        p->qlen--;
    }
    free(p->jobs);
    free(p->busy);
    free(p->q);
    memset(p, 0, sizeof *p);
}
