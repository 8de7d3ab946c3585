/*
 * verify.c - adbk_reader_verify: every check of FORMAT.md section 8.
 *
 * Open already checked the header record, the footer, the seek-table frame
 * header, the index record and that the index entries tile the frames between
 * header and index. Here every member is scanned (decode.c: records, chunks,
 * content and span hashes), and the seek-table entries of the header and the
 * index are checked. Findings go to the caller's callback as they are found;
 * the scan goes on after damage so that everything damaged is reported.
 *
 * Two passes (FORMAT.md §8, note on item 3): the first decodes chunks without
 * computing zstd's Content_Checksum (XXH64 of every content byte, about a
 * sixth of the work), since the member's Content_Hash covers the same bytes
 * and its Span_Hash every stored byte. A member whose hashes fail there is
 * decoded again with every Content_Checksum checked, which names the damaged
 * chunk and its byte range.
 */
#include "reader_private.h"

#include <stdlib.h>
#include <string.h>

struct vctx {
    const struct adbk_verify_callbacks *cb;
    struct adbk_verify_result *res;
    adbk_status first;
    uint64_t total;
    size_t *recheck;       /* members for the second pass, at most count */
    size_t n_recheck;
};

static bool on_damage(void *ctx, const struct adbk_damage *d)
{
    struct vctx *v = ctx;
    v->res->damaged++;
    if (v->first == ADBK_OK)
        v->first = d->status;
    if (v->cb && v->cb->damage)
        v->cb->damage(v->cb->ctx, d);
    return true;
}

static void on_recheck(void *ctx, size_t member)
{
    struct vctx *v = ctx;
    v->recheck[v->n_recheck++] = member;
}

/* The second pass: members decoded again with every Content_Checksum
 * checked; findings are reported as in the first. */
static adbk_status recheck(struct adbk_reader *r, struct vctx *v, const struct seek_entry *se,
                           struct adbk_error *err)
{
    struct scan_hooks h = {.damage = on_damage, .digests = r->info.is_signed, .ctx = v};
    struct scan *s = NULL;
    adbk_status st = scan_create(r, &h, &s, err);
    uint64_t bytes = 0;
    for (size_t k = 0; k < v->n_recheck && st == ADBK_OK; k++)
        st = scan_member(s, v->recheck[k], &se[r->entries[v->recheck[k]].first_frame], &bytes,
                         err);
    if (st == ADBK_OK)
        st = scan_finish(s, err);
    scan_free(s);
    return st;
}

static int on_progress(void *ctx, uint64_t bytes)
{
    struct vctx *v = ctx;
    return v->cb && v->cb->progress ? v->cb->progress(v->cb->ctx, bytes, v->total) : 0;
}

adbk_status adbk_reader_verify(struct adbk_reader *r, const struct adbk_verify_callbacks *cb,
                               struct adbk_verify_result *result_out, struct adbk_error *err)
{
    struct adbk_verify_result res = {0};
    struct vctx v = {.cb = cb, .res = &res, .total = r->src->size,
                     .recheck = malloc((r->count ? r->count : 1) * sizeof(size_t))};
    struct scan_hooks h = {.damage = on_damage, .progress = on_progress, .recheck = on_recheck,
                           .digests = r->info.is_signed, .ctx = &v};
    struct scan *s = NULL;
    struct seek_entry *se = NULL;
    uint64_t bytes = r->prefix_len;

    /* The whole seek table: open bounded its size by the file's. */
    adbk_status st = v.recheck ? rd_seek_entries(r, 0, r->info.frame_count, &se, err)
                               : err_set(err, ADBK_E_NOMEM, "%s: no memory to verify",
                                         r->src->name);
    if (st == ADBK_OK)
        st = scan_create(r, &h, &s, err);
    if (st != ADBK_OK)
        goto out;

    /* se[0], the header's entry, was checked at open, and se[1] with the key
     * record of an encrypted archive. A signature that fails is damage of
     * the whole archive (12). */
    if (r->info.is_signed && !r->info.signature_ok)
        scan_report(s, ADBK_E_SIGNATURE, -1, -1, r->info.index_offset, "the signature: %s",
                    r->sig_problem);
    for (size_t i = 0; i < r->count && st == ADBK_OK; i++)
        st = scan_member(s, i, &se[r->entries[i].first_frame], &bytes, err);
    if (st == ADBK_OK)
        st = scan_finish(s, err);
    if (st == ADBK_OK && v.n_recheck)
        st = recheck(r, &v, se, err);
    if (st != ADBK_OK)
        goto out;

    /* Frame sizes in the seek table must add up to where the table starts. */
    uint64_t sum = 0;
    for (uint64_t k = 0; k < r->info.frame_count; k++)
        sum += se[k].csize;
    if (sum != r->seek_offset)
        scan_report(s, ADBK_E_CORRUPT, -1, -1, r->seek_offset,
                    "the seek table's frame sizes add up to %llu bytes, but it starts at byte "
                    "%llu", (unsigned long long)sum, (unsigned long long)r->seek_offset);
    res.frames_checked = scan_frames(s) + r->prefix_frames + 1; /* checked at open */
    res.content_bytes = scan_content_bytes(s);
    res.bytes_checked = r->src->size;
    st = v.first;
    if (st != ADBK_OK)
        err_set(err, st, "%s: %llu damaged %s found", r->src->name,
                (unsigned long long)res.damaged, res.damaged == 1 ? "place" : "places");
out:
    scan_free(s);
    free(se);
    free(v.recheck);
    if (result_out)
        *result_out = res;
    return st;
}
