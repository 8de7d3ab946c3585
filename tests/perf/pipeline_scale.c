/*
 * pipeline_scale.c - how the container writer's pipeline scales with threads
 * when compression costs nothing.
 *
 * The members are added as regular files are (adbk_writer_read_from): each
 * worker reads its chunk (here: copies it from a generator), compresses it,
 * and in the job's ordered stage (pool_submit: one chunk at a time, in
 * order, on whichever worker is free) feeds the member's content hash
 * (XXH3-128). The writer's caller thread hands out the chunks, orders the
 * output, builds the records, hashes what it writes (the whole-file XXH3-128
 * and the member's span XXH3-64) and writes it. With the test-only writer_store_raw the workers store each
 * chunk as a zstd frame of Raw blocks (a copy and the frame's XXH64 content
 * checksum), so what is timed is the rest of the pipeline: if it does not
 * keep up with 16 workers, the single-threaded parts are the bottleneck
 * there.
 *
 * For each thread count the program streams --mib MiB through a writer into
 * memory and prints MB/s (content bytes per wall second) and the caller
 * thread's CPU time: content bytes per caller-CPU second is what the caller's
 * thread allows at most, however many cores compress. Then it verifies that
 * archive (adbk_reader_verify, the same thread count) and prints the same two
 * figures for the reader, whose workers then only copy the stored blocks and
 * take the content hash in the ordered stage: the reading thread reads and
 * hashes the stored bytes (Span_Hash). With stored chunks the span and file
 * hashes cover as many bytes as the content; with compressed ones a fifth or
 * so, so the caller figures are lower bounds. The ordered stage is the other
 * sequential part: the program also times one thread taking XXH3-128 of
 * --mib MiB in chunk-sized pieces from a 64 MiB ring (memory, not a cache),
 * the most that stage allows. It never asserts a speed. Unless --no-check,
 * it then writes a smaller archive of
 * several members with the same thread count into memory and checks it:
 * adbk_verify_stream finds it intact, every member has its name, size and
 * chunk count, and its chunks are stored (the archive is larger than its
 * content). Exit 0 when every check passed, 1 when one failed, 2 on bad
 * usage.
 *
 *   pipeline_scale [--mib N] [--threads 1,2,4,8,16] [--chunk-kib N] [--no-check]
 */
#include "adbk_format.h"
#include "internal.h"
#include "xxh.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A sink that counts, and keeps the bytes when cap is set. */
struct mem_sink {
    uint64_t len;
    uint8_t *buf;
    size_t cap;
    int keep;
};

static int mem_write(void *ctx, const void *buf, size_t len)
{
    struct mem_sink *m = ctx;
    if (m->keep) {
        if (m->len + len > m->cap) {
            size_t cap = m->cap ? m->cap : (size_t)1 << 20;
            while (cap < m->len + len)
                cap *= 2;
            uint8_t *p = realloc(m->buf, cap);
            if (!p)
                return ENOMEM;
            m->buf = p;
            m->cap = cap;
        }
        memcpy(m->buf + m->len, buf, len);
    }
    m->len += len;
    return 0;
}

/* The generator: a 1 MiB block of pseudo-random bytes, copied at an offset
 * that moves, as a file would be read into the chunk buffer. */
#define PATTERN_SIZE ((size_t)1 << 20)
static uint8_t pattern[2 * PATTERN_SIZE];

static void make_pattern(void)
{
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t i = 0; i < PATTERN_SIZE; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pattern[i] = (uint8_t)x;
    }
    memcpy(pattern + PATTERN_SIZE, pattern, PATTERN_SIZE);
}

static double now(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct run {
    unsigned threads;
    uint32_t chunk;
    const uint64_t *sizes; /* member sizes */
    size_t members;
    struct mem_sink sink;
    double wall, caller_cpu, cpu;
};

/* The generator as a file the workers read (adbk_writer_read_from): byte
 * k of a member is pattern[k % PATTERN_SIZE], copied as a read copies from
 * the page cache. */
static int pattern_read_at(void *ctx, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    uint8_t *p = buf;
    for (size_t done = 0; done < len;) {
        size_t at = (size_t)((off + done) % PATTERN_SIZE);
        size_t n = len - done < PATTERN_SIZE ? len - done : PATTERN_SIZE;
        memcpy(p + done, pattern + at, n);
        done += n;
    }
    *got = len;
    return 0;
}

static int write_archive(struct run *r)
{
    struct adbk_sink sink = {.write = mem_write, .ctx = &r->sink, .name = "pipeline"};
    struct adbk_writer_options o = {.threads = r->threads, .chunk_size = r->chunk,
                                    .has_created = 1, .created_sec = 1800000000};
    struct adbk_error err = {0};
    struct adbk_writer *w = NULL;
    double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID),
           p0 = now(CLOCK_PROCESS_CPUTIME_ID);
    adbk_status st = adbk_writer_open(&sink, &o, &w, &err);
    if (st == ADBK_OK)
        writer_store_raw(w);
    for (size_t m = 0; st == ADBK_OK && m < r->members; m++) {
        char name[32];
        snprintf(name, sizeof name, "data/member%zu", m);
        st = adbk_writer_begin_member(w, &(struct adbk_member_info){.name = name,
                                                                    .kind = ADBK_KIND_FILE},
                                      &err);
        if (st == ADBK_OK)
            st = adbk_writer_read_from(w, pattern_read_at, NULL, 0, r->sizes[m], &err);
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, &err);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    adbk_writer_free(w);
    r->wall = now(CLOCK_MONOTONIC) - t0;
    r->caller_cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
    r->cpu = now(CLOCK_PROCESS_CPUTIME_ID) - p0;
    if (st != ADBK_OK) {
        fprintf(stderr, "pipeline_scale: writing with %u threads: %s\n", r->threads,
                err.message);
        return -1;
    }
    return 0;
}

/* The ordered stage's most: MB of content per second that one thread hashes
 * (XXH3-128, streaming, chunk-sized updates) from a 64 MiB ring. */
static double ordered_stage_mbs(uint64_t total, uint32_t chunk)
{
    const size_t ring = (size_t)64 << 20;
    uint8_t *buf = malloc(ring);
    XXH3_state_t *h = XXH3_createState();
    double mbs = 0;
    if (buf && h) {
        for (size_t i = 0; i < ring; i += PATTERN_SIZE)
            memcpy(buf + i, pattern + (i / PATTERN_SIZE) * 4093 % PATTERN_SIZE, PATTERN_SIZE);
        XXH3_128bits_reset(h);
        double c0 = now(CLOCK_THREAD_CPUTIME_ID);
        size_t at = 0;
        for (uint64_t left = total; left;) {
            size_t n = left < chunk ? (size_t)left : chunk;
            if (n > ring - at)
                n = ring - at;
            XXH3_128bits_update(h, buf + at, n);
            at = (at + n) % ring;
            left -= n;
        }
        volatile XXH128_hash_t d = XXH3_128bits_digest(h);
        (void)d;
        double cpu = now(CLOCK_THREAD_CPUTIME_ID) - c0;
        mbs = cpu > 0 ? (double)total / 1e6 / cpu : 0;
    }
    XXH3_freeState(h);
    free(buf);
    return mbs;
}

static int mem_read_at(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct mem_sink *m = ctx;
    if (off > m->len || len > m->len - off)
        return EIO;
    memcpy(buf, m->buf + off, len);
    return 0;
}

/* Verifies the archive r wrote, with r's thread count: wall and caller CPU
 * seconds into *wall and *caller, content bytes checked into *content. */
static int verify_archive(struct run *r, double *wall, double *caller, uint64_t *content)
{
    struct adbk_source src = {.read_at = mem_read_at, .ctx = &r->sink, .size = r->sink.len,
                              .name = "pipeline"};
    struct adbk_reader_options ro = {.threads = r->threads};
    struct adbk_reader *rd = NULL;
    struct adbk_verify_result res = {0};
    struct adbk_error err = {0};
    double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_THREAD_CPUTIME_ID);
    adbk_status st = adbk_reader_open_source(&src, &ro, &rd, &err);
    if (st == ADBK_OK)
        st = adbk_reader_verify(rd, NULL, &res, &err);
    *wall = now(CLOCK_MONOTONIC) - t0;
    *caller = now(CLOCK_THREAD_CPUTIME_ID) - c0;
    *content = res.content_bytes;
    adbk_reader_close(rd);
    if (st != ADBK_OK) {
        fprintf(stderr, "pipeline_scale: verifying with %u threads: %s\n", r->threads,
                err.message);
        return -1;
    }
    return 0;
}

struct mem_read {
    const uint8_t *p;
    uint64_t len, at;
};

static int mem_read(void *ctx, void *buf, size_t len, size_t *got)
{
    struct mem_read *m = ctx;
    size_t n = m->len - m->at < len ? (size_t)(m->len - m->at) : len;
    memcpy(buf, m->p + m->at, n);
    m->at += n;
    *got = n;
    return 0;
}

static void on_damage(void *ctx, const struct adbk_damage *d)
{
    (void)ctx;
    fprintf(stderr, "pipeline_scale: damage at byte %" PRIu64 ": %s\n", d->offset, d->message);
}

/* Writes a small archive of odd-sized members with this thread count and
 * checks it. */
static int check(unsigned threads)
{
    /* 64 KiB chunks: many chunks in flight at once, finished out of order. */
    const uint32_t chunk = 64u << 10;
    static const uint64_t sizes[] = {(uint64_t)3 << 20, 1, 0, (64u << 10) + 1,
                                     (uint64_t)5 << 20, (uint64_t)(2u << 20) - 7};
    size_t members = sizeof sizes / sizeof sizes[0];
    struct run r = {.threads = threads, .chunk = chunk, .sizes = sizes, .members = members,
                    .sink.keep = 1};
    if (write_archive(&r) != 0)
        return -1;
    uint64_t content = 0;
    for (size_t i = 0; i < members; i++)
        content += sizes[i];
    int bad = 0;
    if (r.sink.len <= content) {
        fprintf(stderr, "pipeline_scale: %u threads: a %" PRIu64 "-byte archive of %" PRIu64
                " content bytes: its chunks were compressed, not stored\n", threads,
                r.sink.len, content);
        bad = 1;
    }
    struct mem_read mr = {.p = r.sink.buf, .len = r.sink.len};
    struct adbk_verify_callbacks cb = {.damage = on_damage};
    struct adbk_verify_result res = {0};
    struct adbk_reader *tail = NULL;
    struct adbk_error err = {0};
    adbk_status st = adbk_verify_stream(mem_read, &mr, "pipeline", NULL, &cb, &res, &tail, &err);
    if (st != ADBK_OK || res.damaged || res.content_bytes != content) {
        fprintf(stderr, "pipeline_scale: %u threads: verify: %s (%s), %" PRIu64 " damaged, %"
                PRIu64 " of %" PRIu64 " content bytes\n", threads, adbk_status_name(st),
                err.message, res.damaged, res.content_bytes, content);
        bad = 1;
    }
    if (!tail || adbk_reader_count(tail) != members) {
        fprintf(stderr, "pipeline_scale: %u threads: want %zu members, got %zu\n", threads,
                members, tail ? adbk_reader_count(tail) : 0);
        bad = 1;
    } else {
        for (size_t i = 0; i < members; i++) {
            const struct adbk_entry *e = adbk_reader_member(tail, i);
            char name[32];
            snprintf(name, sizeof name, "data/member%zu", i);
            uint64_t chunks = (sizes[i] + chunk - 1) / chunk;
            if (strcmp(e->name, name) != 0 || e->size != sizes[i] || e->chunk_count != chunks) {
                fprintf(stderr, "pipeline_scale: %u threads: member %zu: want %s, %" PRIu64
                        " bytes, %" PRIu64 " chunks; got %s, %" PRIu64 ", %" PRIu64 "\n",
                        threads, i, name, sizes[i], chunks, e->name, e->size, e->chunk_count);
                bad = 1;
            }
        }
    }
    adbk_reader_close(tail);
    free(r.sink.buf);
    return bad ? -1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: pipeline_scale [--mib N] [--threads 1,2,4,8,16] [--chunk-kib N] "
                    "[--no-check]\n");
}

int main(int argc, char **argv)
{
    uint64_t mib = 64;
    uint32_t chunk_kib = ADBK_CHUNK_DEFAULT >> 10;
    const char *list = "1,2,4,8,16";
    int do_check = 1;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--mib") && i + 1 < argc) {
            mib = strtoull(argv[++i], &end, 10);
            if (*end || !mib)
                return usage(), 2;
        } else if (!strcmp(argv[i], "--chunk-kib") && i + 1 < argc) {
            unsigned long k = strtoul(argv[++i], &end, 10);
            if (*end || k < ADBK_CHUNK_MIN >> 10 || k > ADBK_CHUNK_MAX >> 10)
                return usage(), 2;
            chunk_kib = (uint32_t)k;
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            list = argv[++i];
        } else if (!strcmp(argv[i], "--no-check")) {
            do_check = 0;
        } else {
            return usage(), 2;
        }
    }
    make_pattern();
    /* Four members, the last not a whole number of chunks. */
    uint64_t total = mib << 20;
    uint64_t sizes[4] = {total / 4, total / 4, total / 4, total - 3 * (total / 4)};
    printf("pipeline_scale: %" PRIu64 " MiB, chunks of %u KiB stored (no compression), %u cores\n",
           mib, chunk_kib, adbk_cpu_count());
    printf("%7s %9s %8s %11s %12s %10s %12s  %s\n", "threads", "MB/s", "CPU%", "caller CPU%",
           "caller MB/s", "verify MB/s", "caller MB/s", "check");
    int failed = 0;
    for (const char *p = list; *p;) {
        char *end;
        unsigned long t = strtoul(p, &end, 10);
        if (end == p || t < 1 || t > 256 || (*end && *end != ','))
            return usage(), 2;
        p = *end ? end + 1 : end;
        /* Timed into a counting sink; then again, untimed, into memory for
         * the reader. */
        struct run r = {.threads = (unsigned)t, .chunk = chunk_kib << 10, .sizes = sizes,
                        .members = 4};
        struct run kept = r;
        kept.sink.keep = 1;
        double vwall = 0, vcaller = 0;
        uint64_t vcontent = 0;
        if (write_archive(&r) != 0 || write_archive(&kept) != 0 ||
            verify_archive(&kept, &vwall, &vcaller, &vcontent) != 0) {
            free(kept.sink.buf);
            failed = 1;
            continue;
        }
        free(kept.sink.buf);
        if (vcontent != total) {
            fprintf(stderr, "pipeline_scale: %lu threads: verify checked %" PRIu64 " of %" PRIu64
                    " content bytes\n", t, vcontent, total);
            failed = 1;
        }
        const char *verdict = "-";
        if (do_check) {
            int bad = check((unsigned)t) != 0;
            failed |= bad;
            verdict = bad ? "FAILED" : "verified";
        }
        /* caller MB/s: what the caller's thread allows at most, from its CPU time. */
        printf("%7lu %9.0f %7.0f%% %10.0f%% %12.0f %11.0f %12.0f  %s\n", t,
               (double)total / 1e6 / r.wall, 100 * r.cpu / r.wall, 100 * r.caller_cpu / r.wall,
               r.caller_cpu > 0 ? (double)total / 1e6 / r.caller_cpu : 0.0,
               (double)total / 1e6 / vwall, vcaller > 0 ? (double)total / 1e6 / vcaller : 0.0,
               verdict);
        fflush(stdout);
    }
    printf("ordered stage (content XXH3-128, one thread, from memory): %.0f MB/s\n",
           ordered_stage_mbs(total, chunk_kib << 10));
    return failed;
}
