/*
 * fuzz_open_list.c - opening an archive and listing it: adbk_reader_open_source
 * on the raw input and on a copy with repaired record checksums, then every
 * accessor a lister uses (info, count, member, find, property). Without a
 * key: an encrypted archive (2.0) opens locked, its clear parts only.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void list(struct adbk_reader *r)
{
    const struct adbk_archive_info *info = adbk_reader_info(r);
    FUZZ_ASSERT(info != NULL);
    FUZZ_ASSERT(info->format_major == (info->encrypted ? ADBK_FORMAT_ENCRYPTED_MAJOR
                                                       : ADBK_FORMAT_MAJOR));
    FUZZ_ASSERT(!info->encrypted || info->locked); /* no key was given */
    FUZZ_ASSERT(info->chunk_size >= ADBK_CHUNK_MIN && info->chunk_size <= ADBK_CHUNK_MAX);
    FUZZ_ASSERT(info->tool != NULL);
    FUZZ_ASSERT(info->index_offset < info->file_size);
    for (size_t i = 0; i < info->property_count; i++) {
        const struct adbk_property *p = &info->properties[i];
        FUZZ_ASSERT(p->key != NULL && p->value != NULL);
        /* The first property with this key is the one found. */
        const char *v = adbk_reader_property(r, p->key);
        FUZZ_ASSERT(v != NULL);
    }
    size_t n = adbk_reader_count(r);
    /* The frames before the first member: the header, and the key record
     * of an encrypted archive (FORMAT.md 13.2). */
    uint64_t frames = info->encrypted ? 2 : 1, offset = 0;
    for (size_t i = 0; i < n; i++) {
        const struct adbk_entry *e = adbk_reader_member(r, i);
        FUZZ_ASSERT(e != NULL && e->name != NULL && e->source_path != NULL);
        FUZZ_ASSERT(e->name[0] != '\0');
        /* Names are unique, so each is found at its own index (a locked
         * archive's "#N" stand for names it hides, and are found by none). */
        FUZZ_ASSERT(adbk_reader_find(r, e->name) == (info->locked ? -1 : (long)i));
        /* The index tiles the frames: open checked it, so it must hold here. */
        FUZZ_ASSERT(e->first_frame == frames);
        FUZZ_ASSERT(i == 0 || e->offset == offset);
        FUZZ_ASSERT(e->offset + e->span <= info->index_offset);
        frames += e->chunk_count + 2;
        offset = e->offset + e->span;
        FUZZ_ASSERT(e->chunk_count == e->size / info->chunk_size +
                                          (e->size % info->chunk_size != 0));
        /* A lister shows the name escaped when the check refuses it. */
        struct adbk_error err = {0};
        adbk_status st = adbk_name_check(e->name, &err);
        if (st != ADBK_OK) {
            FUZZ_ASSERT(st == ADBK_E_UNSAFE);
            fuzz_check_error(st, &err);
        }
        (void)adbk_kind_name(e->kind);
    }
    FUZZ_ASSERT(frames == info->frame_count - 1);
    FUZZ_ASSERT(adbk_reader_member(r, n) == NULL);
    FUZZ_ASSERT(adbk_reader_find(r, "\x01 no such member") == -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int fix = 0; fix < 2; fix++) {
        uint8_t *copy;
        struct fuzz_buf b;
        struct adbk_source src;
        struct adbk_reader *r = NULL;
        if (fuzz_open(data, size, fix, &copy, &b, &src, &r) == ADBK_OK) {
            list(r);
            adbk_reader_close(r);
        }
        free(copy);
    }
    return 0;
}
