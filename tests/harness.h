/*
 * harness.h - the tiny test harness every unit test uses.
 *
 * A test file defines its tests with TEST(name) and ends with TEST_MAIN().
 * TEST(name) registers the test by itself (a constructor adds it to the
 * program's list); `prog name` runs that test, `prog` runs every test in
 * the order of the file, and a name no TEST defines fails with exit 2.
 * tests/CMakeLists.txt makes each TEST(name) its own ctest case (it scans the
 * source for TEST(...) lines).
 *
 * EXPECT_* record a failure and go on; REQUIRE_* stop the test. Statuses of
 * the container library are compared with EXPECT_STATUS(want, got, err),
 * which names both statuses and prints err's message on a mismatch; the
 * simulated DC's HRESULTs with EXPECT_HR(want, got), which names both.
 *
 * Include this header in one file of a test program only: it defines the
 * harness's variables.
 */
#ifndef ADBK_TEST_HARNESS_H
#define ADBK_TEST_HARNESS_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when built with AddressSanitizer (gcc or clang), which reserves
 * terabytes of address space: address-space limits cannot be tested there. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

extern int test_failures;
int test_failures;

#define TEST_FAIL_AT(...)                                                     \
    do {                                                                      \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                       \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        test_failures++;                                                      \
    } while (0)

#define EXPECT_TRUE(c)                                                        \
    do { if (!(c)) TEST_FAIL_AT("expected true: %s", #c); } while (0)
#define REQUIRE_TRUE(c)                                                       \
    do { if (!(c)) { TEST_FAIL_AT("required: %s", #c); return; } } while (0)
#define EXPECT_EQ_U64(want, got)                                              \
    do {                                                                      \
        uint64_t w_ = (uint64_t)(want), g_ = (uint64_t)(got);                 \
        if (w_ != g_)                                                         \
            TEST_FAIL_AT("%s: want %" PRIu64 ", got %" PRIu64, #got, w_, g_); \
    } while (0)
#define EXPECT_STR(want, got)                                                 \
    do {                                                                      \
        const char *w_ = (want), *g_ = (got);                                 \
        if (!g_ || strcmp(w_, g_) != 0)                                       \
            TEST_FAIL_AT("%s: want \"%s\", got \"%s\"", #got, w_,             \
                         g_ ? g_ : "(null)");                                 \
    } while (0)

/* ------------------------------------------------------------ statuses */

/* Every test program links the container library. */
#include "adbk_format.h"

/* Checks got against the statuses in want (ended by -1). On a mismatch it
 * records a failure: file:line, what (printf-style), the names of the wanted
 * and the got status and, when got is a failure and err is not NULL, err's
 * message. Returns 1 when got is one of want. */
__attribute__((format(printf, 6, 7))) static inline int
test_status_(const char *file, int line, const int *want, adbk_status got,
             const struct adbk_error *err, const char *what, ...)
{
    for (const int *w = want; *w >= 0; w++)
        if ((int)got == *w)
            return 1;
    va_list ap;
    va_start(ap, what);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, what, ap);
    va_end(ap);
    fprintf(stderr, ": want ");
    for (const int *w = want; *w >= 0; w++)
        fprintf(stderr, "%s%s", w == want ? "" : " or ", adbk_status_name((adbk_status)*w));
    fprintf(stderr, ", got %s", adbk_status_name(got));
    if (err && got != ADBK_OK)
        fprintf(stderr, ": %s", err->message[0] ? err->message : "(err holds no message)");
    fputc('\n', stderr);
    test_failures++;
    return 0;
}

/* EXPECT_STATUS(ADBK_E_TRUNCATED, st, &err): got must be want; err (a
 * struct adbk_error *, or NULL) supplies the message printed on a mismatch.
 * Evaluates to 1 when it holds, so `if (!EXPECT_STATUS(...))` can clean up.
 * want may be ONE_OF(ADBK_E_CHECKSUM, ADBK_E_CORRUPT) where either is right.
 * The _FOR forms say, printf-style, what was being done (for loops). */
#define ONE_OF(...) __VA_ARGS__
#define EXPECT_STATUS(want, got, err)                                         \
    test_status_(__FILE__, __LINE__, (const int[]){want, -1}, (got), (err), "%s", #got)
#define EXPECT_STATUS_FOR(want, got, err, ...)                                \
    test_status_(__FILE__, __LINE__, (const int[]){want, -1}, (got), (err), __VA_ARGS__)
/* Not written with EXPECT_STATUS: a ONE_OF would reach it as several
 * arguments. */
#define REQUIRE_STATUS(want, got, err)                                        \
    do {                                                                      \
        if (!test_status_(__FILE__, __LINE__, (const int[]){want, -1}, (got), \
                          (err), "%s", #got))                                 \
            return;                                                           \
    } while (0)
#define REQUIRE_STATUS_FOR(want, got, err, ...)                               \
    do {                                                                      \
        if (!test_status_(__FILE__, __LINE__, (const int[]){want, -1}, (got), \
                          (err), __VA_ARGS__))                                \
            return;                                                           \
    } while (0)

/* The simulated DC's HRESULTs, by their names (ds_result_name), for the
 * programs that link the simulator. */
#if defined(__has_include)
#if __has_include("dcsim.h")
#include "dcsim.h"
#define ADBK_TEST_HAVE_HR 1
#endif
#endif

#ifdef ADBK_TEST_HAVE_HR
/* On a mismatch records a failure with both names (and values) and, when got
 * is not S_OK, the simulator's last error. Returns 1 when got is want. */
static inline int test_hr_(const char *file, int line, const char *expr, HRESULT want,
                           HRESULT got)
{
    if (got == want)
        return 1;
    const char *wn = ds_result_name(want), *gn = ds_result_name(got);
    fprintf(stderr, "%s:%d: %s: want %s (0x%08X), got %s (0x%08X)", file, line, expr,
            wn ? wn : "?", (unsigned)want, gn ? gn : "?", (unsigned)got);
    if (got != S_OK)
        fprintf(stderr, ": %s", dcsim_last_error());
    fputc('\n', stderr);
    test_failures++;
    return 0;
}

#define EXPECT_HR(want, got) test_hr_(__FILE__, __LINE__, #got, (want), (got))
#define REQUIRE_HR(want, got)                                                 \
    do { if (!EXPECT_HR(want, got)) return; } while (0)
#endif

/* ------------------------------------------------------------ registration */

struct test_case {
    const char *name;
    void (*fn)(void);
    int line; /* tests run in the order of the file */
    struct test_case *next;
};

extern struct test_case *test_list_;
struct test_case *test_list_;

static inline void test_register_(struct test_case *t)
{
    struct test_case **at = &test_list_;
    while (*at && (*at)->line < t->line)
        at = &(*at)->next;
    t->next = *at;
    *at = t;
}

/* Defines the test function `name` and registers it before main runs. */
#define TEST(name)                                                            \
    static void name(void);                                                   \
    __attribute__((constructor)) static void test_register_##name(void)       \
    {                                                                         \
        static struct test_case t_ = {#name, name, __LINE__, NULL};           \
        test_register_(&t_);                                                  \
    }                                                                         \
    static void name(void)

/* Runs the test named by argv[1], or every test when none is named. Exit 0
 * when all passed, 1 on a failure, 2 when no test has that name. */
static inline int test_run(int argc, char **argv)
{
    size_t ran = 0;
    for (struct test_case *t = test_list_; t; t = t->next) {
        if (argc > 1 && strcmp(argv[1], t->name) != 0)
            continue;
        int before = test_failures;
        t->fn();
        ran++;
        fprintf(stderr, "%s %s\n", test_failures == before ? "ok  " : "FAIL", t->name);
    }
    if (ran == 0) {
        fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");
        return 2;
    }
    return test_failures ? 1 : 0;
}

#define TEST_MAIN()                                                           \
    int main(int argc, char **argv) { return test_run(argc, argv); }

#endif
