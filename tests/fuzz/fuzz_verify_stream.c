/*
 * fuzz_verify_stream.c - adbk_verify_stream on a repaired copy of the input,
 * read as a pipe gives it (in pieces of a size the input decides): every
 * finding has a message and an offset inside the input, "intact" exactly
 * when nothing was reported, and the stream and the file verify agree on
 * whether the archive is intact.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pipe {
    const uint8_t *p;
    size_t len, off, piece;
};

static int pipe_read(void *ctx, void *buf, size_t len, size_t *got)
{
    struct pipe *q = ctx;
    size_t n = q->len - q->off;
    n = n < len ? n : len;
    n = n < q->piece ? n : q->piece;
    memcpy(buf, q->p + q->off, n);
    q->off += n;
    *got = n;
    return 0;
}

struct found {
    uint64_t size, findings;
};

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    struct found *f = ctx;
    f->findings++;
    FUZZ_ASSERT(d->status != ADBK_OK);
    FUZZ_ASSERT(d->message != NULL && d->message[0] != '\0');
    FUZZ_ASSERT(d->member >= -1);
    FUZZ_ASSERT(d->offset <= f->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    FUZZ_ASSERT(copy != NULL);
    if (size)
        memcpy(copy, data, size);
    fuzz_fix_records(copy, size);
    struct pipe q = {.p = copy, .len = size, .piece = 1 + (size ? copy[size / 2] * 61u : 0)};
    struct found f = {.size = size};
    struct adbk_verify_callbacks cb = {.damage = on_damage, .ctx = &f};
    struct adbk_reader_options ro = fuzz_reader_options();
    struct adbk_verify_result res = {0};
    struct adbk_reader *tail = NULL;
    struct adbk_error err = {0};
    adbk_status st = adbk_verify_stream(pipe_read, &q, "fuzz", &ro, &cb, &res, &tail, &err);
    if (st == ADBK_OK) {
        FUZZ_ASSERT(f.findings == 0 && res.damaged == 0);
        FUZZ_ASSERT(tail != NULL);
    } else {
        fuzz_check_error(st, &err);
        FUZZ_ASSERT(st != ADBK_E_IO);
    }
    adbk_reader_close(tail);
    /* The file verify of the same bytes says "intact" exactly when the stream did. */
    struct fuzz_buf b = {.p = copy, .len = size};
    struct adbk_source src = fuzz_source(&b);
    struct adbk_reader *r = NULL;
    adbk_status fst = adbk_reader_open_source(&src, &ro, &r, &err);
    if (fst == ADBK_OK) {
        struct adbk_verify_result fres;
        struct adbk_verify_callbacks none = {0};
        fst = adbk_reader_verify(r, &none, &fres, &err);
        adbk_reader_close(r);
    }
    FUZZ_ASSERT((st == ADBK_OK) == (fst == ADBK_OK));
    free(copy);
    return 0;
}
