/*
 * test_cli.c - the front end's pure helpers (tools/common/cli.c): when a
 * progress line may show an estimate, and what it says.
 */
#include "harness.h"

#include "cli.h"

#include <string.h>

/* No estimate in the first seconds, however fast they went: the old line
 * said "0 s left, 1.1 GiB/s" as the first chunk arrived. */
TEST(eta_waits_for_time_and_work)
{
    double left = -1;
    EXPECT_TRUE(!cli_eta(0.05, 1u << 30, 100ull << 30, &left)); /* 1% done, 50 ms */
    EXPECT_TRUE(!cli_eta(1.9, 50ull << 30, 100ull << 30, &left)); /* half done, under 2 s */
    EXPECT_TRUE(!cli_eta(30, 999, 100000, &left));                /* 30 s, under 1% */
    EXPECT_TRUE(left == -1);
    EXPECT_TRUE(cli_eta(CLI_ETA_AFTER, 1000, 100000, &left)); /* 2 s and 1%: it counts */
}

TEST(eta_is_the_rest_at_the_rate_so_far)
{
    double left = 0;
    REQUIRE_TRUE(cli_eta(10, 25, 100, &left));
    EXPECT_TRUE(left > 29.999 && left < 30.001);
    REQUIRE_TRUE(cli_eta(3600, 3ull << 30, 4ull << 30, &left));
    EXPECT_TRUE(left > 1199.999 && left < 1200.001);
}

TEST(eta_needs_a_total_and_something_left)
{
    double left = 0;
    EXPECT_TRUE(!cli_eta(10, 100, 0, &left));   /* no total known */
    EXPECT_TRUE(!cli_eta(10, 100, 100, &left)); /* done */
    EXPECT_TRUE(!cli_eta(10, 0, 100, &left));   /* nothing done */
}

TEST(duration_reads_in_the_right_unit)
{
    char b[16];
    EXPECT_STR("45 s", cli_duration(45, b, sizeof b));
    EXPECT_STR("3 min", cli_duration(200, b, sizeof b));
    EXPECT_STR("2.5 h", cli_duration(9000, b, sizeof b));
}

TEST_MAIN()
