/*
 * nameset.c - an open-addressing hash set of strings with a value each: the
 * writer refuses duplicate member names with it, the reader finds members by
 * name and refuses archives that repeat a name.
 */
#include "internal.h"
#include "xxh.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const struct nameset *s, const char *name)
{
    size_t mask = s->cap - 1;
    size_t i = (size_t)XXH3_64bits(name, strlen(name)) & mask;
    while (s->slots[i].name && strcmp(s->slots[i].name, name) != 0)
        i = (i + 1) & mask;
    return i;
}

static adbk_status grow(struct nameset *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct nameset old = *s;
    s->slots = calloc(cap, sizeof *s->slots);
    if (!s->slots) {
        *s = old;
        return ADBK_E_NOMEM;
    }
    s->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].name)
            s->slots[slot_of(s, old.slots[i].name)] = old.slots[i];
    free(old.slots);
    return ADBK_OK;
}

adbk_status nameset_add(struct nameset *s, const char *name, size_t value, size_t *found)
{
    if ((s->count + 1) * 2 > s->cap && grow(s) != ADBK_OK)
        return ADBK_E_NOMEM;
    size_t i = slot_of(s, name);
    if (s->slots[i].name) {
        if (found)
            *found = s->slots[i].value;
        return ADBK_E_EXISTS;
    }
    char *copy = strdup(name);
    if (!copy)
        return ADBK_E_NOMEM;
    s->slots[i].name = copy;
    s->slots[i].value = value;
    s->count++;
    return ADBK_OK;
}

bool nameset_get(const struct nameset *s, const char *name, size_t *value)
{
    if (!s->cap)
        return false;
    size_t i = slot_of(s, name);
    if (!s->slots[i].name)
        return false;
    *value = s->slots[i].value;
    return true;
}

void nameset_free(struct nameset *s)
{
    for (size_t i = 0; i < s->cap; i++)
        free(s->slots[i].name);
    free(s->slots);
    memset(s, 0, sizeof *s);
}
