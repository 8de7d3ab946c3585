/*
 * extras.h - the owner and the extended attributes of format 1.1 (FORMAT.md
 * 3.2, Member_Flags bits 3 and 4) between their bytes (records.h) and the
 * public structures: packing a writer's attributes into the list's bytes,
 * unpacking a checked list for a reader or salvage, and comparing a member
 * record's owner and list with an index entry's.
 */
#ifndef ADBK_EXTRAS_H
#define ADBK_EXTRAS_H

#include "internal.h"
#include "records.h"

/* Checks a writer's attributes against FORMAT.md 3.2 and 9 (names 1..255
 * bytes, values up to 65,536, no name twice, the list up to 256 KiB) and
 * encodes them sorted by name into *list's bytes, held in out (which the
 * caller frees). member names the member in messages. ADBK_E_ARG names the
 * attribute that breaks a rule; ADBK_E_NOMEM. */
adbk_status extras_pack_xattrs(const struct adbk_xattr *v, size_t n, const char *member,
                               struct bytebuf *out, struct xattr_list *list,
                               struct adbk_error *err);

/* Unpacks the owner o and the list l, each as flags say it is there (both
 * decoded without OX_* faults), into e's uid, gid, user, group, xattrs and
 * xattr_count (without the flags: "" names, no attributes), all in one
 * allocation: *block, which the caller frees (NULL when there is nothing).
 * Returns false when memory ran out; e's fields are then those of none. */
bool extras_unpack(unsigned flags, const struct owner_rec *o, const struct xattr_list *l,
                   struct adbk_entry *e, void **block);

/* Whether a member record's owner and attributes (m, faultless) equal the
 * index entry's (e); flags are compared by the caller. */
bool extras_match(const struct mbr_rec *m, const struct adbk_entry *e);

/* What the OX_* faults in f say is wrong, for messages: "has ...". */
const char *extras_fault(unsigned f);

#endif
