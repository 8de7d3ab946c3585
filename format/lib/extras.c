/*
 * extras.c - the owner and attributes of format 1.1 between their bytes and
 * the public structures (extras.h). records.c reads and writes the fields;
 * here they are sorted, copied out and compared.
 */
#include "extras.h"

#include <stdlib.h>
#include <string.h>

/* (extras.h) */
const char *extras_fault(unsigned f)
{
    if (f & OX_SHORT)
        return "has an owner or attributes that run past its end";
    if (f & OX_OWNER_NAME)
        return "has an owner's user or group name over 255 bytes or holding a NUL byte";
    if (f & OX_ID)
        return "has an owner uid or gid of 4294967295";
    if (f & OX_NAME)
        return "has an extended attribute name that is empty, over 255 bytes or holds a NUL byte";
    if (f & OX_VALUE)
        return "has an extended attribute value over 65536 bytes";
    if (f & OX_ORDER)
        return "has extended attributes not sorted by name, or a name twice";
    return "has extended attributes of over 262144 bytes";
}

static int by_name(const void *a, const void *b)
{
    const struct adbk_xattr *x = *(const struct adbk_xattr *const *)a;
    const struct adbk_xattr *y = *(const struct adbk_xattr *const *)b;
    return strcmp(x->name, y->name); /* unsigned bytes: the format's byte order */
}

adbk_status extras_pack_xattrs(const struct adbk_xattr *v, size_t n, const char *member,
                               struct bytebuf *out, struct xattr_list *list,
                               struct adbk_error *err)
{
    memset(list, 0, sizeof *list);
    if (n > 0xFFFFu || (n && !v))
        return err_set(err, ADBK_E_ARG, "member \"%s\": %zu extended attributes (at most 65535)",
                       member, n);
    const struct adbk_xattr **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return err_set(err, ADBK_E_NOMEM, "member \"%s\": no memory for its attributes", member);
    size_t total = 2;
    adbk_status st = ADBK_OK;
    for (size_t i = 0; i < n && st == ADBK_OK; i++) {
        const struct adbk_xattr *x = sorted[i] = &v[i];
        size_t len = x->name ? strlen(x->name) : 0;
        if (len == 0 || len > XATTR_NAME_MAX)
            st = err_set(err, ADBK_E_ARG, "member \"%s\": an extended attribute's name is %zu "
                         "bytes (1 to %u)", member, len, XATTR_NAME_MAX);
        else if (x->size > XATTR_VALUE_MAX || (x->size && !x->value))
            st = err_set(err, ADBK_E_ARG, "member \"%s\": attribute %.255s has a value of %zu "
                         "bytes (at most %u)", member, x->name, x->size, XATTR_VALUE_MAX);
        total += 6 + len + x->size;
    }
    if (st == ADBK_OK && total > XATTR_LIST_MAX)
        st = err_set(err, ADBK_E_ARG, "member \"%s\": its extended attributes take %zu bytes "
                     "(at most %u)", member, total, XATTR_LIST_MAX);
    if (st == ADBK_OK)
        qsort(sorted, n, sizeof *sorted, by_name);
    for (size_t i = 1; i < n && st == ADBK_OK; i++)
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
            st = err_set(err, ADBK_E_ARG, "member \"%s\": attribute %.255s is given twice",
                         member, sorted[i]->name);
    for (size_t i = 0; i < n && st == ADBK_OK; i++)
        xattr_encode(&(struct xattr_rec){.name = str16_of(sorted[i]->name),
                                         .size = (uint32_t)sorted[i]->size,
                                         .value = sorted[i]->value}, out);
    free(sorted);
    if (st == ADBK_OK && out->failed)
        st = err_set(err, ADBK_E_NOMEM, "member \"%s\": no memory for its attributes", member);
    if (st == ADBK_OK)
        *list = (struct xattr_list){.count = (uint16_t)n, .p = out->p, .len = out->len};
    return st;
}

bool extras_unpack(unsigned flags, const struct owner_rec *o, const struct xattr_list *l,
                   struct adbk_entry *e, void **block_out)
{
    e->uid = e->gid = 0;
    e->user = e->group = "";
    e->xattrs = NULL;
    e->xattr_count = 0;
    *block_out = NULL;
    bool owner = flags & ADBK_HAS_OWNER, attrs = flags & ADBK_HAS_XATTRS;
    if (!owner && !attrs)
        return true;
    size_t count = attrs ? l->count : 0;
    /* The array, then user and group, then each name (terminated) and value:
     * at most 65,535 entries and the list's own bytes, which records.c
     * bounded by XATTR_LIST_MAX. */
    size_t bytes = count * sizeof(struct adbk_xattr) + (attrs ? l->len + count : 0) +
                   (owner ? o->user.len + o->group.len : 0) + 2;
    uint8_t *block = malloc(bytes);
    if (!block)
        return false;
    struct adbk_xattr *v = (struct adbk_xattr *)block;
    char *p = (char *)(v + count);
    if (owner) {
        e->uid = o->uid;
        e->gid = o->gid;
        e->user = p;
        memcpy(p, o->user.p, o->user.len);
        p += o->user.len;
        *p++ = '\0';
        e->group = p;
        memcpy(p, o->group.p, o->group.len);
        p += o->group.len;
        *p++ = '\0';
    }
    struct cursor c = {.p = attrs ? l->p : NULL, .len = attrs ? l->len : 0};
    for (size_t i = 0; i < count; i++) {
        struct xattr_rec a;
        (void)xattr_decode(&c, &a); /* checked before, by xattr_list_decode */
        v[i].name = p;
        memcpy(p, a.name.p, a.name.len);
        p += a.name.len;
        *p++ = '\0';
        v[i].value = p;
        v[i].size = a.size;
        if (a.size)
            memcpy(p, a.value, a.size);
        p += a.size;
    }
    e->xattrs = attrs ? v : NULL;
    e->xattr_count = count;
    *block_out = block;
    return true;
}

static bool str16_is(struct str16 v, const char *s)
{
    return strlen(s) == v.len && memcmp(v.p, s, v.len) == 0;
}

bool extras_match(const struct mbr_rec *m, const struct adbk_entry *e)
{
    if ((m->flags & ADBK_HAS_OWNER) &&
        (m->owner.uid != e->uid || m->owner.gid != e->gid || !str16_is(m->owner.user, e->user) ||
         !str16_is(m->owner.group, e->group)))
        return false;
    if (!(m->flags & ADBK_HAS_XATTRS))
        return true;
    if (m->xattrs.count != e->xattr_count)
        return false;
    struct cursor c = {.p = m->xattrs.p, .len = m->xattrs.len};
    for (size_t i = 0; i < e->xattr_count; i++) {
        struct xattr_rec a;
        (void)xattr_decode(&c, &a);
        const struct adbk_xattr *x = &e->xattrs[i];
        if (!str16_is(a.name, x->name) || a.size != x->size ||
            (a.size && memcmp(a.value, x->value, a.size) != 0))
            return false;
    }
    return true;
}
