/*
 * test_memory.c - the memory a reader uses is bounded by the reader, not by
 * the archive (issue 12): an archive of large chunks is verified with fewer
 * chunks in flight, within the reader's memory bound whatever the thread
 * count, and under an address-space limit with the buffers that fit.
 *
 * A writer's chunk buffers grow with its data, so a small archive of large
 * chunks fits in a small address space. A stream verify's record buffers
 * grow with the bytes that arrive, so a record claiming 200 MiB in a stream
 * of a few KiB costs a few KiB.
 *
 * Each measurement runs in a child process of its own (wait4 gives that
 * child's peak RSS), on an archive written to a file by another child, so no
 * buffer of the writer counts. Not in the valgrind run: it decodes 512 MiB.
 */
#include "harness.h"
#include "adbk_format.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (32u << 20)
#define MEMBERS 16 /* of one chunk each: 512 MiB of zeros in a few KiB */
#define MIB (1024L)  /* ru_maxrss is in KiB */

static char path[600];

static int write_archive(void)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return 1;
    struct adbk_sink sink;
    struct adbk_fd_sink fds;
    adbk_sink_fd(&sink, &fds, fd, path);
    struct adbk_writer_options o = {.level = 1, .threads = 2, .chunk_size = CHUNK,
                                    .tool = "adbk test"};
    struct adbk_writer *w;
    struct adbk_error err = {0};
    adbk_status st = adbk_writer_open(&sink, &o, &w, &err);
    for (int i = 0; i < MEMBERS && st == ADBK_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "zeros-%02d.bin", i);
        struct adbk_member_info mi = {.name = name, .kind = ADBK_KIND_FILE};
        st = adbk_writer_begin_member(w, &mi, &err);
        for (size_t done = 0; st == ADBK_OK && done < CHUNK;) {
            void *dst;
            size_t cap;
            st = adbk_writer_reserve(w, &dst, &cap, &err);
            size_t k = st == ADBK_OK && cap < CHUNK - done ? cap : CHUNK - done;
            if (st == ADBK_OK) {
                memset(dst, 0, k);
                st = adbk_writer_commit(w, k, &err);
            }
            done += k;
        }
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, &err);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    adbk_writer_free(w);
    if (close(fd) != 0 && st == ADBK_OK)
        st = ADBK_E_IO;
    if (st != ADBK_OK)
        fprintf(stderr, "write %s: %s: %s\n", path, adbk_status_name(st), err.message);
    return st == ADBK_OK ? 0 : 1;
}

/* Allows this process `extra` bytes of address space beyond what it maps. */
static int limit_address_space(rlim_t extra)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!f || fscanf(f, "%lu", &pages) != 1) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    rlim_t lim = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + extra;
    struct rlimit rl = {lim, lim};
    return setrlimit(RLIMIT_AS, &rl);
}

/* The child's work: verify with these options. Exit 0 when intact, 3 when
 * out of memory with the message that names the chunk size, 1 otherwise. */
static int verify_in_child(unsigned threads, uint64_t memory, rlim_t extra_address_space)
{
    if (extra_address_space && limit_address_space(extra_address_space) != 0)
        return 1;
    struct adbk_reader_options ro = {.threads = threads, .memory = memory};
    struct adbk_reader *r;
    struct adbk_error err = {0};
    adbk_status st = adbk_reader_open(path, &ro, &r, &err);
    struct adbk_verify_result vr = {0};
    if (st == ADBK_OK) {
        st = adbk_reader_verify(r, NULL, &vr, &err);
        adbk_reader_close(r);
    }
    if (st == ADBK_E_NOMEM && strstr(err.message, "one read buffer"))
        return 3;
    if (st != ADBK_OK || vr.damaged != 0 || vr.content_bytes != (uint64_t)MEMBERS * CHUNK) {
        fprintf(stderr, "verify: %s: %s (damaged %llu)\n", adbk_status_name(st), err.message,
                (unsigned long long)vr.damaged);
        return 1;
    }
    return 0;
}

/* Runs fn in a child; returns its exit status, *rss_kib its peak RSS. */
static int in_child(int (*fn)(unsigned, uint64_t, rlim_t), unsigned threads, uint64_t memory,
                    rlim_t extra, long *rss_kib)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn ? fn(threads, memory, extra) : write_archive());
    int status = 0;
    struct rusage ru = {0};
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
        return -1;
    if (rss_kib)
        *rss_kib = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void setup(const char *name)
{
    const char *tmp = getenv("ADBK_TEST_TMP");
    snprintf(path, sizeof path, "%s/%s.%ld.adbk", tmp ? tmp : "/tmp", name, (long)getpid());
    REQUIRE_TRUE(in_child(NULL, 0, 0, 0, NULL) == 0);
}

/* Before the bound, 8 threads meant 16 chunk buffers of 32 MiB: 512 MiB. */
TEST(large_chunks_keep_verify_within_its_memory_bound)
{
    setup("bound");
    long rss = 0;
    EXPECT_EQ_U64(0, in_child(verify_in_child, 8, 0, 0, &rss));
    fprintf(stderr, "-T 8, default bound (256 MiB): peak RSS %ld MiB\n", rss / MIB);
    EXPECT_TRUE(rss < 320 * MIB);
    EXPECT_EQ_U64(0, in_child(verify_in_child, 8, 64u << 20, 0, &rss));
    fprintf(stderr, "-T 8, 64 MiB bound: peak RSS %ld MiB\n", rss / MIB);
    EXPECT_TRUE(rss < 128 * MIB);
    /* A bound below one chunk still reads, one chunk at a time. */
    EXPECT_EQ_U64(0, in_child(verify_in_child, 8, 1u << 20, 0, &rss));
    fprintf(stderr, "-T 8, 1 MiB bound: peak RSS %ld MiB\n", rss / MIB);
    EXPECT_TRUE(rss < 96 * MIB);
    unlink(path);
}

/* Under an address-space limit, many threads and a large bound: the reader
 * goes on with the buffers it could allocate; with room for none it says so.
 * (AddressSanitizer reserves terabytes of address space: not there.) */
TEST(address_space_limit_means_fewer_chunks_in_flight)
{
    if (UNDER_ASAN) {
        fprintf(stderr, "skipped under AddressSanitizer\n");
        return;
    }
    setup("aslimit");
    long rss = 0;
    EXPECT_EQ_U64(0, in_child(verify_in_child, 16, 4ull << 30, 192u << 20, &rss));
    fprintf(stderr, "-T 16 under a limit of +192 MiB: peak RSS %ld MiB\n", rss / MIB);
    EXPECT_EQ_U64(3, in_child(verify_in_child, 16, 4ull << 30, 16u << 20, &rss));
    unlink(path);
}

/* The child's work: under the limit, write three small members in chunks of
 * chunk_size bytes with `threads` threads to a file, and read them back.
 * Exit 0 when both succeed, 3 when the writer runs out of memory. */
static int small_archive_in_child(unsigned threads, uint64_t chunk_size, rlim_t extra)
{
    if (limit_address_space(extra) != 0)
        return 1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return 1;
    struct adbk_sink sink;
    struct adbk_fd_sink fds;
    adbk_sink_fd(&sink, &fds, fd, path);
    struct adbk_writer_options o = {.level = 3, .threads = threads,
                                    .chunk_size = (uint32_t)chunk_size, .tool = "adbk test"};
    struct adbk_writer *w;
    struct adbk_error err = {0};
    adbk_status st = adbk_writer_open(&sink, &o, &w, &err);
    for (int i = 0; i < 3 && st == ADBK_OK; i++) {
        char name[32];
        snprintf(name, sizeof name, "small-%d.txt", i);
        struct adbk_member_info mi = {.name = name, .kind = ADBK_KIND_FILE};
        st = adbk_writer_begin_member(w, &mi, &err);
        for (int k = 0; k < 100 && st == ADBK_OK; k++)
            st = adbk_writer_write(w, name, strlen(name), &err);
        if (st == ADBK_OK)
            st = adbk_writer_end_member(w, &err);
    }
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    adbk_writer_free(w);
    close(fd);
    if (st != ADBK_OK) {
        fprintf(stderr, "write: %s: %s\n", adbk_status_name(st), err.message);
        return st == ADBK_E_NOMEM ? 3 : 1;
    }
    struct adbk_reader_options ro = {.threads = threads};
    struct adbk_reader *r;
    struct adbk_verify_result vr = {0};
    st = adbk_reader_open(path, &ro, &r, &err);
    if (st == ADBK_OK) {
        st = adbk_reader_verify(r, NULL, &vr, &err);
        adbk_reader_close(r);
    }
    if (st != ADBK_OK || vr.damaged != 0) {
        fprintf(stderr, "verify: %s: %s\n", adbk_status_name(st), err.message);
        return 1;
    }
    return 0;
}

/* Before the buffers grew with the data, a writer of four threads allocated
 * eight chunk buffers of 128 MiB (and their frames) before its first byte:
 * 2 GiB, for an archive of a few KiB. */
TEST(small_archive_of_large_chunks_fits_a_small_address_space)
{
    if (UNDER_ASAN) {
        fprintf(stderr, "skipped under AddressSanitizer\n");
        return;
    }
    const char *tmp = getenv("ADBK_TEST_TMP");
    snprintf(path, sizeof path, "%s/small.%ld.adbk", tmp ? tmp : "/tmp", (long)getpid());
    long rss = 0;
    EXPECT_EQ_U64(0, in_child(small_archive_in_child, 4, ADBK_CHUNK_MAX, 64u << 20, &rss));
    fprintf(stderr, "-T 4, 128 MiB chunks, limit of +64 MiB: peak RSS %ld MiB\n", rss / MIB);
    unlink(path);
}

/* The stream of the fuzz finding: an archive's header record, then a record
 * head (FORMAT.md 3.4: skippable magic 0x184D2A5A, Frame_Size, Type "AMBR")
 * claiming 200 MiB, then the end. */
struct claim {
    uint8_t *p;
    size_t len, off;
};

static int claim_read(void *ctx, void *buf, size_t len, size_t *got)
{
    struct claim *c = ctx;
    size_t n = c->len - c->off < len ? c->len - c->off : len;
    memcpy(buf, c->p + c->off, n);
    c->off += n;
    *got = n;
    return 0;
}

/* Exit 0: the stream is reported truncated; 3: out of memory; 1: else. */
static int claim_in_child(unsigned threads, uint64_t unused, rlim_t extra)
{
    (void)unused;
    /* An archive of 64 KiB chunks, so the reader's own buffers are small. */
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return 1;
    struct adbk_sink sink;
    struct adbk_fd_sink fds;
    adbk_sink_fd(&sink, &fds, fd, path);
    struct adbk_writer_options o = {.level = 3, .threads = 1, .chunk_size = 65536,
                                    .tool = "adbk test"};
    struct adbk_writer *w;
    struct adbk_error err = {0};
    adbk_status st = adbk_writer_open(&sink, &o, &w, &err);
    if (st == ADBK_OK)
        st = adbk_writer_finish(w, &err);
    adbk_writer_free(w);
    close(fd);
    if (st != ADBK_OK)
        return 1;
    uint8_t buf[4096];
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, 8) != 8)
        return 1;
    size_t hlen = 8 + ((size_t)buf[4] | (size_t)buf[5] << 8 | (size_t)buf[6] << 16 |
                       (size_t)buf[7] << 24);
    if (hlen + 12 > sizeof buf || read(fd, buf + 8, hlen - 8) != (ssize_t)(hlen - 8))
        return 1;
    close(fd);
    static const uint8_t head[12] = {0x5a, 0x2a, 0x4d, 0x18, 0, 0, 0x80, 0x0c, 'A', 'M', 'B', 'R'};
    memcpy(buf + hlen, head, sizeof head); /* Frame_Size 0x0C800000: 200 MiB */
    struct claim c = {buf, hlen + sizeof head, 0};
    if (limit_address_space(extra) != 0)
        return 1;
    struct adbk_reader_options ro = {.threads = threads};
    struct adbk_verify_callbacks cb = {0};
    struct adbk_verify_result vr = {0};
    struct adbk_reader *tail = NULL;
    st = adbk_verify_stream(claim_read, &c, "claim", &ro, &cb, &vr, &tail, &err);
    adbk_reader_close(tail);
    fprintf(stderr, "stream verify: %s: %s\n", adbk_status_name(st), err.message);
    return st == ADBK_E_TRUNCATED ? 0 : st == ADBK_E_NOMEM ? 3 : 1;
}

/* Found by fuzz_verify_stream: the record's buffer was allocated whole
 * before its bytes came, so 817 bytes made verify ask for 256 MiB. */
TEST(stream_record_claiming_200_mib_costs_what_was_sent)
{
    if (UNDER_ASAN) {
        fprintf(stderr, "skipped under AddressSanitizer\n");
        return;
    }
    const char *tmp = getenv("ADBK_TEST_TMP");
    snprintf(path, sizeof path, "%s/claim.%ld.adbk", tmp ? tmp : "/tmp", (long)getpid());
    EXPECT_EQ_U64(0, in_child(claim_in_child, 1, 0, 64u << 20, NULL));
    unlink(path);
}

TEST_MAIN()
