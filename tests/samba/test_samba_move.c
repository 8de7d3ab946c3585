/*
 * test_samba_move.c - the smb.conf of a Samba DC restored into a new folder
 * (samba_conf_move): the expected texts are written out here by hand, from
 * what `samba-tool domain provision --targetdir` writes and what Debian's
 * packaged DC leaves to Samba's built-in folders.
 */
#include "harness.h"
#include "samba.h"

/* A provisioned DC in /srv/dc1: its folders are set in the file. */
TEST(provisioned_dc_folders_move_below_the_new_one)
{
    const char *in = "# Global parameters\n"
                     "[global]\n"
                     "\tbinddns dir = /srv/dc1/bind-dns\n"
                     "\tcache directory = /srv/dc1/cache\n"
                     "\tlock directory = /srv/dc1\n"
                     "\tlog file = /srv/dc1/log.%m\n"
                     "\tnetbios name = DC1\n"
                     "\tpid directory = /srv/dc1/run\n"
                     "\tprivate dir = /srv/dc1/private\n"
                     "\tstate directory = /srv/dc1/state\n"
                     "\n"
                     "[sysvol]\n"
                     "\tpath = /srv/dc1/state/sysvol\n"
                     "\tread only = No\n"
                     "\n"
                     "[print$]\n"
                     "\tpath = /var/lib/samba/printers\n"
                     "[netlogon]\n"
                     "\tpath = /srv/dc1/state/sysvol/samdom.example.com/scripts\n";
    struct samba_move m = {.top = "/new/dc",
                           .from = {"/srv/dc1/private", "/srv/dc1/state", "/srv/dc1"},
                           .to = {"/new/dc/private", "/new/dc/state", "/new/dc"},
                           .n = 3};
    char *out = samba_conf_move(in, &m);
    REQUIRE_TRUE(out != NULL);
    EXPECT_STR("# The folders of this domain controller, restored by adbk into /new/dc\n"
               "[global]\n"
               "\tprivate dir = /new/dc/private\n"
               "\tstate directory = /new/dc/state\n"
               "\tcache directory = /new/dc/cache\n"
               "\tlock directory = /new/dc/lock\n"
               "\tpid directory = /new/dc/run\n"
               "\tbinddns dir = /new/dc/bind-dns\n"
               "\n"
               "# Global parameters\n"
               "[global]\n"
               "\tlog file = /new/dc/log.%m\n"
               "\tnetbios name = DC1\n"
               "\n"
               "[sysvol]\n"
               "\tpath = /new/dc/state/sysvol\n"
               "\tread only = No\n"
               "\n"
               "[print$]\n"
               "\tpath = /var/lib/samba/printers\n"
               "[netlogon]\n"
               "\tpath = /new/dc/state/sysvol/samdom.example.com/scripts\n",
               out);
    free(out);
}

/* Debian's DC: the folders are Samba's defaults (state /var/lib/samba,
 * private below it), names written Samba's other ways, settings before any
 * section header, and a path that only starts with the same letters. */
TEST(default_folders_are_set_and_names_compare_as_samba_compares_them)
{
    const char *in = "\tnetbios name = DC1\n"
                     "  Lock_Dir=/run/samba\n"
                     "[Global]\n"
                     "    PRIVATE  DIR = /var/lib/samba/private\n"
                     "; a comment about /var/lib/samba\n"
                     "[sysvol]\n"
                     "  path = /var/lib/samba/sysvol\n"
                     "  lock dir = /var/lib/samba/kept\n"
                     "[other]\n"
                     "  path = /var/lib/sambaother\n";
    struct samba_move m = {.top = "/d",
                           .from = {"/var/lib/samba/private", "/var/lib/samba/", "/var/lib/samba"},
                           .to = {"/d/private", "/d/state", "/d"},
                           .n = 3};
    char *out = samba_conf_move(in, &m);
    REQUIRE_TRUE(out != NULL);
    EXPECT_STR("# The folders of this domain controller, restored by adbk into /d\n"
               "[global]\n"
               "\tprivate dir = /d/private\n"
               "\tstate directory = /d/state\n"
               "\tcache directory = /d/cache\n"
               "\tlock directory = /d/lock\n"
               "\tpid directory = /d/run\n"
               "\tbinddns dir = /d/bind-dns\n"
               "\n"
               "\tnetbios name = DC1\n"
               "[Global]\n"
               "; a comment about /var/lib/samba\n"
               "[sysvol]\n"
               "  path = /d/state/sysvol\n"
               "  lock dir = /d/state/kept\n"
               "[other]\n"
               "  path = /var/lib/sambaother\n",
               out);
    free(out);
}

TEST_MAIN()
