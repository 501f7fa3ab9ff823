/* SPDX-License-Identifier: MIT */
/*
 * fpvm VM snapshots on disk: a directory holding a manifest and the parts
 * it lists, each with its size and CRC-32C, one of them the sparse image
 * of guest memory.  Plus the checks of whether what a snapshot's guest was
 * given fits this host.  Pure: no KVM calls, only file I/O; the KVM side
 * (collecting and restoring vCPU state) is the caller's.
 *
 * Every function that can fail returns 0 or -errno and fills the error:
 * FPVM_ERR_INPUT for a damaged, missing or wrong snapshot, FPVM_ERR_OUTPUT
 * for a failed write, FPVM_ERR_SYSTEM for out of memory.  Each message is
 * one line starting "snapshot: " and names the part or manifest line.
 */
#ifndef FPVM_SNAPSHOT_H
#define FPVM_SNAPSHOT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../base/error.h"

#define SNAPSHOT_FORMAT		2	/* what this fpvm writes: parts in a generation's directory */
#define SNAPSHOT_FORMAT_FLAT	1	/* read too: parts beside the manifest */
#define SNAPSHOT_MAX_PARTS	8192
#define SNAPSHOT_NAME_MAX	48
#define SNAPSHOT_PAGE_SIZE	4096
#define SNAPSHOT_MAX_PART_SIZE	(64ULL << 20)	/* any part but memory */
#define SNAPSHOT_MANIFEST_MAX	(1U << 20)
#define SNAPSHOT_MAX_CPUS	1024
#define SNAPSHOT_MAX_MEM	(1ULL << 40)
#define SNAPSHOT_MEMORY		"memory"	/* the guest memory part's name */
#define SNAPSHOT_MAX_GEN	999999999U	/* gen-N: at most 9 digits */

/* What the reader and writer keep of a part (flags), never in the file. */
#define SNAPSHOT_PART_CHECKED	(1U << 0)	/* read or verified: its size and CRC hold */
#define SNAPSHOT_PART_WRITTEN	(1U << 1)	/* written into the new generation */

struct snapshot_part {
	char name[SNAPSHOT_NAME_MAX];
	uint64_t size;
	uint32_t crc;
	uint32_t flags;
};

/* The host a snapshot was taken on, as the snapshot's reader needs it. */
struct snapshot_host {
	char vendor[16];		/* CPUID.0 "AuthenticAMD" */
	uint32_t family, model, stepping;	/* CPUID.1, with the extended fields folded in */
	char model_name[64];		/* CPUID 0x80000002..4, trimmed */
	uint64_t xcr0_supported;	/* KVM's CPUID 0xD.0 EDX:EAX */
	uint64_t xss_supported;		/* KVM's CPUID 0xD.1 EDX:ECX */
	uint32_t uabi_size;		/* KVM_CAP_XSAVE2 */
	char fpvm_version[32];
};

/*
 * Fills vendor/family/model/stepping/model_name from a CPUID table
 * (KVM_GET_SUPPORTED_CPUID); leaves the other fields as they are.
 */
void snapshot_host_from_cpuid(struct snapshot_host *h, const struct kvm_cpuid2 *cpuid);

struct snapshot_manifest {
	unsigned int format;
	unsigned int generation;	/* the parts are in gen-N; 0 in format 1 */
	char created[32];		/* UTC, 2026-12-01T11:22:33Z */
	char reason[32];		/* "SIGUSR1", "guest request" */
	char guest[256];		/* the guest image's name, for people */
	struct snapshot_host host;
	unsigned int nr_cpus;
	uint64_t mem_size;
	uint64_t guest_xcr0;
	unsigned int nr_parts;
	struct snapshot_part *parts;	/* malloc'ed, by snapshot_part_*() and the parser */
};

/*
 * CRC-32C (Castagnoli): crc32c(0, "123456789", 9) == 0xe3069283, and
 * crc32c(crc32c(0, a, n), b, m) is the CRC of a followed by b.  The SSE4.2
 * instruction where the CPU has it, chosen once at start; a table otherwise.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len);	/* only if crc32c_hw_available() */
bool crc32c_hw_available(void);

/* ---- the directory (dir.c) ----
 *
 * On disk (format 2), in the directory DIR the user names:
 *
 *   DIR/manifest	the snapshot: its machine, its generation N, and every
 *			part with its size and CRC-32C
 *   DIR/gen-N/		the parts of generation N, one file each
 *
 * Nothing else in DIR is read.  A writer never changes a generation that a
 * manifest names: it writes every part of generation N+1 into a new
 * DIR/gen-(N+1), each fdatasync()ed, then fsync()s that directory and DIR,
 * writes DIR/manifest.tmp (fdatasync()ed) and renames it over DIR/manifest,
 * then fsync()s DIR.  That rename is the one moment the snapshot changes:
 * before it DIR/manifest names generation N, whole on the disk, after it
 * N+1, whole on the disk; a crash or a full disk at any moment leaves one
 * of the two.  Only then is gen-N removed.  What an interrupted writer left
 * (manifest.tmp, a gen-M the manifest does not name) is never read, and is
 * removed by the next writer before it writes anything.
 *
 * Format 1 (fpvm 0.1.0) kept its parts beside the manifest, in DIR itself,
 * replaced in place; it is read (parts from DIR), never written.
 */

/* A snapshot opened for reading: its manifest read and checked, its parts' directory open. */
struct snapshot_dir {
	int fd;			/* DIR */
	int parts_fd;		/* DIR/gen-N, or DIR for format 1 */
	struct snapshot_manifest m;
};

/*
 * Opens DIR (following a link there: the user named it), reads its
 * manifest from one descriptor (no link, no FIFO) and opens the generation
 * it names (no link).  On failure @d holds nothing to close.
 */
int snapshot_open(const char *path, struct snapshot_dir *d, struct fpvm_error *err);
void snapshot_close(struct snapshot_dir *d);
/* Every listed part that was neither read nor verified yet, "memory" excepted. */
int snapshot_verify_unread(struct snapshot_dir *d, struct fpvm_error *err);

/*
 * A snapshot being written.  Zero it, then snapshot_write_begin(); the
 * caller fills m's header and writes the parts; snapshot_write_commit()
 * makes it the snapshot, snapshot_write_abort() removes what was written
 * and leaves the earlier snapshot as it was.
 */
struct snapshot_writer {
	int fd;			/* DIR */
	int gen_fd;		/* DIR/gen-N, the new generation */
	int from_fd;		/* snapshot_edit_begin(): the parts kept; else -1 */
	unsigned int gen;	/* N */
	unsigned int old_gen;	/* the generation the manifest names now; 0: none */
	bool created;		/* DIR was made here: its parent is synced too */
	const char *path;
	struct snapshot_manifest m;	/* the new snapshot's */
	struct snapshot_manifest old;	/* the one it replaces (its parts, for a format 1 one) */
	/*
	 * Tests only: called before every step that changes the disk, with
	 * the step's number; a test stops the writer there as a crash would.
	 */
	void (*crash_point)(void *arg, unsigned int step);
	void *crash_arg;
	unsigned int steps;
};

/*
 * Creates DIR (its parent must exist) or opens it, removes what an
 * interrupted writer left there, and creates the new generation's
 * directory.  m is initialised (snapshot_manifest_init()).
 */
int snapshot_write_begin(struct snapshot_writer *w, const char *path, struct fpvm_error *err);
/*
 * The same, for changing parts of the snapshot in DIR (tools, fpvm
 * leakcheck --inject): m starts as its manifest, and every part not
 * written again is linked into the new generation at the commit.
 */
int snapshot_edit_begin(struct snapshot_writer *w, const char *path, struct fpvm_error *err);
/*
 * The manifest checked with the parser (this fpvm never writes what it
 * would refuse to read), then the switch described above, then the
 * earlier generation removed.  @w is done with either way; w->gen stays
 * the generation that is the snapshot now (0 after a failure).
 */
int snapshot_write_commit(struct snapshot_writer *w, struct fpvm_error *err);
void snapshot_write_abort(struct snapshot_writer *w);

/* ---- parts (part.c) ---- */

/* [A-Za-z0-9._-], 1 to SNAPSHOT_NAME_MAX - 1 long, no leading '.', not manifest, manifest.tmp or gen-N. */
bool snapshot_part_name_valid(const char *name);

/* What a vCPU's parts are called: the one place the rule is written. */
enum snapshot_vcpu_part {
	SNAPSHOT_VCPU_STATE,	/* "vcpuN.state": KVM's registers, MSRs, LAPIC... */
	SNAPSHOT_VCPU_CPUID,	/* "vcpuN.cpuid": the CPUID table it was given */
	SNAPSHOT_VCPU_XSAVE,	/* "vcpuN.xsave": the XSAVE image as KVM_GET_XSAVE2 gave it */
	SNAPSHOT_VCPU_LAYOUT,	/* "vcpuN.layout": its layout text; NAME.xsave and NAME.layout,
				   the pair fpvm fpstate reads */
};
const char *snapshot_vcpu_part(char name[SNAPSHOT_NAME_MAX], unsigned int vcpu,
			       enum snapshot_vcpu_part what);

/*
 * Writes part @name (at most SNAPSHOT_MAX_PART_SIZE bytes) of the new
 * generation, created without following a link and fdatasync()ed, and
 * records it in w->m with the CRC of @buf, replacing an entry of that
 * name.  Not for "memory", whose CRC is of its pages: snapshot_memory_write().
 */
int snapshot_part_write(struct snapshot_writer *w, const char *name, const void *buf,
			size_t size, struct fpvm_error *err);
/*
 * Reads a part whole from one descriptor into a malloc'ed buffer, after
 * checking, in this order, that the manifest lists it, that it is a
 * regular file (no link, no FIFO), its size, then the CRC of the very
 * bytes returned.  Not for "memory" (snapshot_memory_read()).
 */
int snapshot_part_read(struct snapshot_dir *d, const char *name, void **buf, size_t *size,
		       struct fpvm_error *err);
/* The same checks without keeping the bytes; not for "memory" (snapshot_memory_verify()). */
int snapshot_part_verify(struct snapshot_dir *d, const char *name, struct fpvm_error *err);
const struct snapshot_part *snapshot_part_find(const struct snapshot_manifest *m, const char *name);

/* ---- guest memory (memory.c) ---- */

/*
 * The "memory" part: a sparse file of exactly @size bytes holding only the
 * pages that are present or swapped (per /proc/self/pagemap) and non-zero.
 * @mem is a private anonymous mapping, page-aligned, where a page never
 * faulted in reads as zero (as fpvm's guest memory is); for any other
 * buffer every page is examined.  Its CRC is the CRC-32C over, for every
 * non-zero page in ascending order, the page's index as 8 bytes little
 * endian followed by its 4096 bytes: holes and zero pages cost nothing, and
 * the value does not depend on how the filesystem stores holes.  Sets
 * w->m.mem_size to @size.
 */
int snapshot_memory_write(struct snapshot_writer *w, const void *mem, uint64_t size,
			  struct fpvm_error *err);
/*
 * Reads the "memory" part into @mem, which the caller gives zero-filled (a
 * fresh anonymous mapping) and of the snapshot's size: only pages with data
 * are written, and the CRC is taken of the bytes copied.  On a mismatch
 * @mem holds some of the damaged image and is to be thrown away.
 */
int snapshot_memory_read(struct snapshot_dir *d, void *mem, uint64_t size,
			 struct fpvm_error *err);
/* The checks of snapshot_memory_read() without a place to read into. */
int snapshot_memory_verify(struct snapshot_dir *d, struct fpvm_error *err);

/* ---- the manifest (manifest.c) ---- */

/* Zeroes @m, sets its format and created (now, UTC). */
void snapshot_manifest_init(struct snapshot_manifest *m);
/*
 * The text of a manifest, malloc'ed in *@text (not NUL-terminated), in
 * this fpvm's format whatever m->format says; strings lose control
 * characters other than tab ('?').
 */
int snapshot_manifest_format(const struct snapshot_manifest *m, char **text, size_t *len,
			     struct fpvm_error *err);
/* DIR/manifest (@dirfd: DIR), read from one descriptor: no link, no FIFO, at most 1 MiB (dir.c). */
int snapshot_manifest_read(int dirfd, struct snapshot_manifest *m, struct fpvm_error *err);
/*
 * Parses the text of a manifest, any bytes: strict and bounded.  On
 * failure @m holds nothing to free.
 */
int snapshot_manifest_parse(const char *text, size_t len, struct snapshot_manifest *m,
			    struct fpvm_error *err);
void snapshot_manifest_free(struct snapshot_manifest *m);
/*
 * For fpvm snapshot show.  Text: a few lines.  JSON: one object with the
 * keys of the file and the parts as an array of {name, size, crc}, but left
 * open: it ends with its last member ("parts": [...]), no closing brace and
 * no newline, so that the caller can append , "vcpus": [...] and then "}".
 */
void snapshot_manifest_print(FILE *f, const struct snapshot_manifest *m, bool json);

#endif
