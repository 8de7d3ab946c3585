/*
 * harness.h - the tiny test harness every unit test uses.
 *
 * A test file defines its tests with TEST(name) and ends with TEST_MAIN().
 * Each TEST(name) is registered as its own ctest case by tests/CMakeLists.txt
 * (it scans the source for TEST(...) lines), and runs as `prog name`.
 * EXPECT_* record a failure and go on; REQUIRE_* stop the test.
 */
#ifndef ADBK_TEST_HARNESS_H
#define ADBK_TEST_HARNESS_H

#include <inttypes.h>
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

struct test_case {
    const char *name;
    void (*fn)(void);
};

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

#define TEST(name) static void name(void)
#define TEST_LIST(...) static const struct test_case test_cases_[] = { __VA_ARGS__ }
#define T(name) { #name, name }

/* Runs the test named by argv[1], or every test when none is named. */
#define TEST_MAIN()                                                           \
    int main(int argc, char **argv)                                           \
    {                                                                         \
        size_t n_ = sizeof test_cases_ / sizeof test_cases_[0], ran_ = 0;     \
        for (size_t i_ = 0; i_ < n_; i_++) {                                  \
            if (argc > 1 && strcmp(argv[1], test_cases_[i_].name) != 0)       \
                continue;                                                     \
            int before_ = test_failures;                                      \
            test_cases_[i_].fn();                                             \
            ran_++;                                                           \
            fprintf(stderr, "%s %s\n",                                        \
                    test_failures == before_ ? "ok  " : "FAIL",               \
                    test_cases_[i_].name);                                    \
        }                                                                     \
        if (ran_ == 0) {                                                      \
            fprintf(stderr, "no test named %s\n", argc > 1 ? argv[1] : "");   \
            return 2;                                                         \
        }                                                                     \
        return test_failures ? 1 : 0;                                         \
    }

#endif
