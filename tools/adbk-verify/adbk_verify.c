/*
 * adbk_verify.c - the offsite check: lists and verifies archives on machines
 * with no directory service. Links the container library only.
 */
#include "cli.h"

#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: adbk-verify [verify] [--quick] [-T N] [--json] [--quiet] [--trust KEY]\n"
            "                   ARCHIVE|-\n"
            "       adbk-verify list [--long] [--json] [--trust KEY] ARCHIVE\n"
            "       adbk-verify --version\n\n"
            "Checks an adbk archive before it is shipped offsite, or after it comes back:\n"
            "every chunk, checksum and hash, with nothing but the file. It needs no\n"
            "directory service and writes nothing. An encrypted archive is checked without\n"
            "its key as far as it is in clear (every stored byte against its checksum);\n"
            "--trust adbk-sign1... refuses an archive that key did not sign. ARCHIVE '-'\n"
            "reads it from standard input in one pass: 'rclone cat remote:a.adbk |\n"
            "adbk-verify -' checks an offsite copy without a local file. --quick checks\n"
            "that a copy holds exactly the bytes its writer wrote, at the speed of reading\n"
            "it, without decompressing.\n\n"
            "Exit: 0 intact, 1 damaged (each damaged member, chunk and byte offset is\n"
            "named), 2 usage or I/O error. 'adbk-verify verify --help' and\n"
            "'adbk-verify list --help' (or 'adbk-verify help COMMAND') describe the\n"
            "options; 'adbk-verify --version' (-V) gives the version.\n");
}

int main(int argc, char **argv)
{
    cli_prog = "adbk-verify";
    if (argc < 2) {
        usage(stderr);
        return EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || (!strcmp(cmd, "help") && argc == 2)) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        cli_version();
        return EXIT_OK;
    }
    /* 'adbk-verify help COMMAND' is 'adbk-verify COMMAND --help'. */
    if (!strcmp(cmd, "help")) {
        static char help_opt[] = "--help";
        char *help_argv[] = {argv[2], help_opt, NULL};
        if (argc > 3) {
            cli_err("help takes one command, verify or list (try 'adbk-verify --help')");
            return EXIT_ERROR;
        }
        if (!strcmp(argv[2], "list") || !strcmp(argv[2], "verify"))
            return strcmp(argv[2], "list") ? cli_verify(2, help_argv) : cli_list(2, help_argv);
        cli_err("unknown command '%s': the commands are verify and list (try 'adbk-verify "
                "--help')",
                argv[2]);
        return EXIT_ERROR;
    }
    if (!strcmp(cmd, "list"))
        return cli_list(argc - 1, argv + 1);
    if (!strcmp(cmd, "verify"))
        return cli_verify(argc - 1, argv + 1);
    return cli_verify(argc, argv); /* the default command */
}
