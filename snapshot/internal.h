/* SPDX-License-Identifier: MIT */
/*
 * Between the snapshot module's files (part.c, dir.c, manifest.c,
 * memory.c); not for callers, whose face is snapshot.h.
 */
#ifndef FPVM_SNAPSHOT_INTERNAL_H
#define FPVM_SNAPSHOT_INTERNAL_H

#include "snapshot.h"

/* Appends a part without looking for its name: -ENOMEM, or -E2BIG past the limit. */
int snapshot_part_append(struct snapshot_manifest *m, const char *name, uint64_t size,
			 uint32_t crc);
/* Records @name as written into the new generation, replacing an entry of that name. */
int snapshot_part_set(struct snapshot_manifest *m, const char *name, uint64_t size, uint32_t crc,
		      struct fpvm_error *err);
/*
 * Opens a listed part for reading, checked: listed, a regular file (no
 * link, no FIFO), of its size.  Returns the fd or -errno.
 */
int snapshot_part_open(struct snapshot_dir *d, const char *name, struct snapshot_part **part,
		       struct fpvm_error *err);
/* Creates part @name in the new generation for writing, or fails naming it; the fd. */
int snapshot_part_create(struct snapshot_writer *w, const char *name, struct fpvm_error *err);
/* fdatasync() and close(): the part is on the disk before any manifest lists it. */
int snapshot_part_close(int fd, const char *name, struct fpvm_error *err);
/* "gen-N", and back: N, or 0 for a name that is not one (part.c). */
void snapshot_gen_name(char name[16], unsigned int gen);
unsigned int snapshot_gen_number(const char *name);
/* Calls w->crash_point, if any, with the next step's number. */
void snapshot_step(struct snapshot_writer *w);
/* Prefixes err->msg with @prefix (a library message naming a file): "snapshot: part ..." */
int snapshot_prefix(struct fpvm_error *err, const char *prefix, int r);

#endif
