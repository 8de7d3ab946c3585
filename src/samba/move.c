/*
 * move.c - the smb.conf of a Samba DC restored into a new folder
 * (samba_conf_move): the same configuration, with the DC's folders there.
 *
 * The text is rewritten line by line and otherwise kept as the user wrote
 * it (comments, order, shares):
 *   - a [global] section first sets the DC's folders in the new one, named
 *     as `samba-tool domain provision --targetdir` names them (private,
 *     state, cache, lock, run, bind-dns), even where the file left them to
 *     Samba's built-in defaults, which point into the system's folders;
 *   - the file's own settings of those folders in its global part are left
 *     out, so the ones above hold;
 *   - any other value that is a path below one of the DC's old folders (a
 *     share's path, say [sysvol]'s) names the same place below the new one.
 * Parameter names compare as Samba compares them: without case, spaces and
 * underscores.
 */
#include "samba.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The folders set in the new [global], and their place below the new top. */
static const struct {
    const char *key;  /* as written */
    const char *norm; /* as compared */
    const char *sub;
} FOLDERS[] = {
    {"private dir", "privatedir", "private"},
    {"state directory", "statedirectory", "state"},
    {"cache directory", "cachedirectory", "cache"},
    {"lock directory", "lockdirectory", "lock"},
    {"pid directory", "piddirectory", "run"},
    {"binddns dir", "binddnsdir", "bind-dns"},
};
#define NFOLDERS (sizeof FOLDERS / sizeof FOLDERS[0])

/* "lock dir" is Samba's other name for "lock directory". */
static bool is_folder_key(const char *norm)
{
    if (!strcmp(norm, "lockdir"))
        return true;
    for (size_t i = 0; i < NFOLDERS; i++)
        if (!strcmp(norm, FOLDERS[i].norm))
            return true;
    return false;
}

const char *samba_move_folder(size_t i)
{
    return i < NFOLDERS ? FOLDERS[i].sub : NULL;
}

struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* The parameter name of line [s, e) compared as Samba does, into norm
 * (empty when the line sets nothing); *value points after the '='. */
static void parse(const char *s, const char *e, char *norm, size_t cap, const char **value)
{
    size_t n = 0;
    *value = NULL;
    norm[0] = '\0';
    if (e <= s)
        return;
    const char *eq = memchr(s, '=', (size_t)(e - s));
    const char *t = s;
    while (t < e && isspace((unsigned char)*t))
        t++;
    if (!eq || t == eq || *t == '#' || *t == ';' || *t == '[')
        return;
    for (; t < eq && n + 1 < cap; t++)
        if (!isspace((unsigned char)*t) && *t != '_')
            norm[n++] = (char)tolower((unsigned char)*t);
    norm[n] = '\0';
    *value = eq + 1;
}

/* The length of the longest from[] that is a path prefix of [v, e): equal,
 * or followed by '/'; 0 when none is. */
static size_t prefix_of(const struct samba_move *m, const char *v, const char *e, size_t *which)
{
    size_t best = 0;
    for (size_t i = 0; i < m->n; i++) {
        size_t n = strlen(m->from[i]);
        while (n > 1 && m->from[i][n - 1] == '/')
            n--;
        if (n <= 1 || n > (size_t)(e - v) || n <= best || memcmp(v, m->from[i], n))
            continue;
        if (v + n == e || v[n] == '/' || isspace((unsigned char)v[n])) {
            best = n;
            *which = i;
        }
    }
    return best;
}

char *samba_conf_move(const char *text, const struct samba_move *m)
{
    struct buf b = {0};
    puts_(&b, "# The folders of this domain controller, restored by adbk into ");
    puts_(&b, m->top);
    puts_(&b, "\n[global]\n");
    for (size_t i = 0; i < NFOLDERS; i++) {
        puts_(&b, "\t");
        puts_(&b, FOLDERS[i].key);
        puts_(&b, " = ");
        puts_(&b, m->top);
        puts_(&b, "/");
        puts_(&b, FOLDERS[i].sub);
        puts_(&b, "\n");
    }
    puts_(&b, "\n");
    bool global = true; /* lines before any section header are global */
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        const char *e = nl ? nl : line + strlen(line);
        const char *s = line;
        while (s < e && isspace((unsigned char)*s))
            s++;
        if (s < e && *s == '[') {
            const char *close = memchr(s, ']', (size_t)(e - s));
            global = close && (size_t)(close - s - 1) == 6 && !strncasecmp(s + 1, "global", 6);
        }
        char norm[64];
        const char *value;
        parse(line, e, norm, sizeof norm, &value);
        size_t which = 0, n = 0;
        const char *v = value;
        while (v && v < e && isspace((unsigned char)*v))
            v++;
        if (global && norm[0] && is_folder_key(norm)) {
            /* left out: set above */
        } else if (v && (n = prefix_of(m, v, e, &which)) != 0) {
            put(&b, line, (size_t)(v - line));
            puts_(&b, m->to[which]);
            put(&b, v + n, (size_t)(e - (v + n)));
            puts_(&b, "\n");
        } else {
            put(&b, line, (size_t)(e - line));
            puts_(&b, "\n");
        }
        line = nl ? nl + 1 : e;
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
