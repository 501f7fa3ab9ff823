/* SPDX-License-Identifier: MIT */
/*
 * What the snapshot tests share: a directory per test case to write
 * snapshots into, a good snapshot written through the part API before each
 * test, and the checks every failure must pass (one line, "snapshot: ...").
 */
#ifndef FPVM_TEST_SNAPTEST_H
#define FPVM_TEST_SNAPTEST_H

#include <stdint.h>
#include <sys/types.h>

#include "../../snapshot/check.h"
#include "testutil.h"

#define MEM_SIZE	(64ULL << 20)
#define PAGE		SNAPSHOT_PAGE_SIZE

extern struct fpvm_error err;
extern char base[512];		/* every test's snapshots are in here */
extern char dir[600];		/* the good snapshot's DIR */
extern int dfd;			/* DIR, open */
extern char orig[8192];		/* its manifest */
extern size_t orig_len;
extern uint8_t *mem;		/* its guest memory */
extern struct snapshot_manifest man;	/* what was written */

/* The small parts of the good snapshot, with random bytes. */
struct test_part {
	const char *name;
	size_t size;
};
extern const struct test_part parts[];
#define NR_PARTS 4
extern uint8_t *part_data[NR_PARTS];
/* Bytes written into guest memory: pages 0, 5, the middle, and the last. */
extern const uint64_t touched[4];

uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t len);
void fill_random(uint8_t *p, size_t len, uint32_t seed);
void *map(uint64_t size);
void host_of(const char *fixture, bool kvm, struct snapshot_host *h);

/* Unchecked fixture: @base made, and removed with all in it. */
void make_base(void);
void remove_base(void);
/* Checked fixture: the good snapshot in a new @dir, generation 1. */
void write_snapshot(void);
void remove_snapshot(void);
/* The manifest header write_snapshot() gives, for other snapshots. */
void fill_manifest(struct snapshot_manifest *m);

/* The good snapshot, opened for reading. */
void open_snapshot(struct snapshot_dir *d);
/* The current generation's directory of @dfd (gen-N, or DIR for format 1), open. */
int parts_fd(void);
void flip_bit(const char *name, off_t off, unsigned int bit);
void truncate_part(const char *name, off_t size);

/* A failure, with one line beginning "snapshot" that says @want. */
void expect_error(int r, const char *want);

#endif
