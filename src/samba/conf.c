/*
 * conf.c - the Samba DC's configuration as Samba itself reads it: testparm
 * (Samba's parser: includes, defaults and macros as the daemon sees them),
 * and whether its daemon runs.
 */
#include "samba.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

adbk_status samba_ask(const char *const argv[], char *out, size_t cap, int *status,
                      struct adbk_error *err)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return adbk_error_set(err, ADBK_E_IO, "cannot run %s: %s", argv[0], strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
        close(p[0]);
        return adbk_error_set(err, ADBK_E_SOURCE, "cannot run %s: %s (it comes with Samba; is "
                              "Samba installed?)", argv[0], strerror(rc));
    }
    size_t len = 0;
    for (;;) {
        char sink[4096];
        char *dst = len + 1 < cap ? out + len : sink;
        size_t room = len + 1 < cap ? cap - 1 - len : sizeof sink;
        ssize_t n = read(p[0], dst, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (dst != sink)
            len += (size_t)n;
    }
    close(p[0]);
    out[len] = '\0';
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
    return ADBK_OK;
}

/* Copies the value of "\tkey = value" lines of the section wanted into dst:
 * the first one there. */
static void take(const char *dump, const char *section, const char *key, char *dst, size_t cap)
{
    char in[128] = "";
    size_t klen = strlen(key);
    for (const char *line = dump; *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > 2 && line[0] == '[' && line[n - 1] == ']') {
            snprintf(in, sizeof in, "%.*s", (int)(n - 2), line + 1);
        } else if (!strcasecmp(in, section)) {
            const char *s = line;
            while (s < line + n && (*s == '\t' || *s == ' '))
                s++;
            if ((size_t)(line + n - s) > klen + 3 && !strncasecmp(s, key, klen) &&
                !strncmp(s + klen, " = ", 3)) {
                snprintf(dst, cap, "%.*s", (int)(line + n - (s + klen + 3)), s + klen + 3);
                return;
            }
        }
        line = nl ? nl + 1 : line + n;
    }
}

/* Where this Samba build keeps smb.conf: `samba -b`'s CONFIGFILE. */
static adbk_status default_conf(char *dst, size_t cap, struct adbk_error *err)
{
    char out[16384];
    int status;
    const char *argv[] = {"samba", "-b", NULL};
    adbk_status st = samba_ask(argv, out, sizeof out, &status, err);
    if (st != ADBK_OK)
        return st;
    const char *k = strstr(out, "CONFIGFILE: ");
    if (!k)
        return adbk_error_set(err, ADBK_E_SOURCE, "samba -b does not say where smb.conf is; "
                              "name it with --samba-conf");
    k += strlen("CONFIGFILE: ");
    snprintf(dst, cap, "%.*s", (int)strcspn(k, "\n"), k);
    return ADBK_OK;
}

adbk_status samba_conf_read(const char *conf, struct samba_conf *c, struct adbk_error *err)
{
    memset(c, 0, sizeof *c);
    if (!conf) {
        adbk_status st = default_conf(c->file, sizeof c->file, err);
        if (st != ADBK_OK)
            return st;
        conf = c->file;
    }
    char *dump = malloc(1u << 20);
    if (!dump)
        return adbk_error_set(err, ADBK_E_NOMEM, "no memory to read the Samba configuration");
    /* -v: every parameter, defaults included, so that nothing is guessed here. */
    const char *argv[] = {"testparm", "-s", "-v", conf, NULL};
    int status;
    adbk_status st = samba_ask(argv, dump, 1u << 20, &status, err);
    /* testparm also exits 1 when a configured folder is missing (a DC being
     * restored); what matters is that it parsed the file and printed it. */
    if (st == ADBK_OK && !strstr(dump, "[global]"))
        st = adbk_error_set(err, ADBK_E_SOURCE, "testparm cannot read the Samba configuration "
                            "%s (exit status %d)", conf, status);
    if (st == ADBK_OK) {
        take(dump, "global", "server role", c->role, sizeof c->role);
        take(dump, "global", "realm", c->realm, sizeof c->realm);
        take(dump, "global", "workgroup", c->workgroup, sizeof c->workgroup);
        take(dump, "global", "netbios name", c->netbios, sizeof c->netbios);
        take(dump, "global", "private dir", c->private_dir, sizeof c->private_dir);
        take(dump, "global", "state directory", c->state_dir, sizeof c->state_dir);
        take(dump, "global", "pid directory", c->pid_dir, sizeof c->pid_dir);
        take(dump, "global", "binddns dir", c->binddns_dir, sizeof c->binddns_dir);
        take(dump, "sysvol", "path", c->sysvol, sizeof c->sysvol);
    }
    free(dump);
    if (st != ADBK_OK)
        return st;
    char *real = realpath(conf, NULL);
    snprintf(c->file, sizeof c->file, "%s", real ? real : conf);
    free(real);
    snprintf(c->etc_dir, sizeof c->etc_dir, "%s", c->file);
    char *slash = strrchr(c->etc_dir, '/');
    if (slash && slash != c->etc_dir)
        *slash = '\0';
    else
        snprintf(c->etc_dir, sizeof c->etc_dir, "%s", slash ? "/" : ".");
    if (!c->private_dir[0] || !c->state_dir[0])
        return adbk_error_set(err, ADBK_E_SOURCE, "%s: testparm gives no private dir or state "
                              "directory", c->file);
    return ADBK_OK;
}

bool samba_conf_is_dc(const struct samba_conf *c)
{
    return !strcasecmp(c->role, "active directory domain controller");
}

long samba_daemon_pid(const struct samba_conf *c)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/samba.pid", c->pid_dir);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 0)
        pid = 0;
    fclose(f);
    return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM) ? pid : 0;
}
