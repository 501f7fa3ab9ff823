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

#define SNAPSHOT_FORMAT		1
#define SNAPSHOT_MAX_PARTS	8192
#define SNAPSHOT_NAME_MAX	48
#define SNAPSHOT_PAGE_SIZE	4096
#define SNAPSHOT_MAX_PART_SIZE	(64ULL << 20)	/* any part but memory */
#define SNAPSHOT_MANIFEST_MAX	(1U << 20)
#define SNAPSHOT_MAX_CPUS	1024
#define SNAPSHOT_MAX_MEM	(1ULL << 40)
#define SNAPSHOT_MEMORY		"memory"	/* the guest memory part's name */

struct snapshot_part {
	char name[SNAPSHOT_NAME_MAX];
	uint64_t size;
	uint32_t crc;
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

/* ---- the directory (part.c) ---- */

/*
 * Creates the directory @path (its parent must exist) or reuses an existing
 * one: then its old manifest is removed first, so that a half-written
 * snapshot is never taken as whole.  @dirfd is the caller's to close.
 */
int snapshot_dir_create(const char *path, int *dirfd, struct fpvm_error *err);
/* Opens a snapshot directory: "snapshot DIR: No such file or directory". */
int snapshot_dir_open(const char *path, int *dirfd, struct fpvm_error *err);

/* ---- parts (part.c) ---- */

/* [A-Za-z0-9._-], 1 to SNAPSHOT_NAME_MAX - 1 long, no leading '.', not "manifest*". */
bool snapshot_part_name_valid(const char *name);

/*
 * Writes file @name (at most SNAPSHOT_MAX_PART_SIZE bytes) and records it
 * in m->parts, replacing an entry of that name.  Not for "memory": that is
 * snapshot_memory_write().
 */
int snapshot_part_write(int dirfd, struct snapshot_manifest *m, const char *name, const void *buf,
			size_t size, struct fpvm_error *err);
/* Records a file someone else wrote: its size and CRC (for "memory", the memory CRC). */
int snapshot_part_add_file(int dirfd, struct snapshot_manifest *m, const char *name,
			   struct fpvm_error *err);
/*
 * Reads a part into a malloc'ed buffer, after checking, in this order, that
 * the manifest lists it, that the file exists, its size, then its CRC.
 * Not for "memory" (snapshot_memory_read()).
 */
int snapshot_part_read(int dirfd, const struct snapshot_manifest *m, const char *name, void **buf,
		       size_t *size, struct fpvm_error *err);
/* The same checks without keeping the bytes; "memory" too. */
int snapshot_part_verify(int dirfd, const struct snapshot_manifest *m, const char *name,
			 struct fpvm_error *err);
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
 * m->mem_size to @size.
 */
int snapshot_memory_write(int dirfd, struct snapshot_manifest *m, const void *mem, uint64_t size,
			  struct fpvm_error *err);
/*
 * Reads the "memory" part into @mem, which the caller gives zero-filled (a
 * fresh anonymous mapping) and of the snapshot's size: only pages with data
 * are written.  On a CRC mismatch @mem holds some of the damaged image and
 * is to be thrown away.
 */
int snapshot_memory_read(int dirfd, const struct snapshot_manifest *m, void *mem, uint64_t size,
			 struct fpvm_error *err);
/* The checks of snapshot_memory_read() without a place to read into. */
int snapshot_memory_verify(int dirfd, const struct snapshot_manifest *m, struct fpvm_error *err);

/* ---- the manifest (manifest.c) ---- */

/* Zeroes @m, sets its format and created (now, UTC). */
void snapshot_manifest_init(struct snapshot_manifest *m);
/*
 * Writes "manifest.tmp" and renames it to "manifest", after every part's
 * data has reached the disk: a reader sees a whole snapshot or none.  The
 * text is checked with the parser first, so this fpvm never writes what it
 * would refuse to read; strings lose control characters other than tab ('?').
 */
int snapshot_manifest_write(int dirfd, const struct snapshot_manifest *m, struct fpvm_error *err);
/* The text snapshot_manifest_write() writes, malloc'ed in *@text (not NUL-terminated). */
int snapshot_manifest_format(const struct snapshot_manifest *m, char **text, size_t *len,
			     struct fpvm_error *err);
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

/* ---- whether a snapshot fits this host (compat.c) ---- */

#define SNAPSHOT_MAX_FINDINGS 64

/*
 * Findings, each one line.  Zero it before the first check; every check
 * adds to it.  nr_errors counts every error, the dropped ones too.
 */
struct snapshot_findings {
	unsigned int nr, nr_errors, dropped;
	struct {
		bool error;
		char msg[200];
	} item[SNAPSHOT_MAX_FINDINGS];
};

void snapshot_finding_add(struct snapshot_findings *f, bool error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Feature bits the guest's CPUID has and this host's KVM_GET_SUPPORTED_CPUID
 * lacks: leaves 1 (ECX, EDX), 7.0 (EBX, ECX, EDX), 7.1 (EAX), 0xD.1 (EAX),
 * 0x80000001 (ECX, EDX), 0x80000008 (EBX).  Each is an error.
 */
void snapshot_check_cpuid(unsigned int vcpu, const struct kvm_cpuid2 *guest,
			  const struct kvm_cpuid2 *host, struct snapshot_findings *f);
/* XSAVE features of the guest's XCR0 or of its XSAVE image outside @host_xcr0. */
void snapshot_check_xfeatures(unsigned int vcpu, uint64_t guest_xcr0, uint64_t xstate_bv,
			      uint64_t host_xcr0, struct snapshot_findings *f);
/* Saved MSRs missing from this host's KVM_GET_MSR_INDEX_LIST. */
void snapshot_check_msrs(unsigned int vcpu, const uint32_t *saved, unsigned int nr_saved,
			 const uint32_t *host, unsigned int nr_host, struct snapshot_findings *f);
/* Another vendor, family or model: warnings. */
void snapshot_check_host(const struct snapshot_host *from, const struct snapshot_host *here,
			 struct snapshot_findings *f);

/* ---- between the module's files; not for callers ---- */

/* Appends a part without looking for its name: -ENOMEM, or -E2BIG past the limit. */
int snapshot_part_append(struct snapshot_manifest *m, const char *name, uint64_t size,
			 uint32_t crc);
/* Records @name, replacing an entry of that name. */
int snapshot_part_set(struct snapshot_manifest *m, const char *name, uint64_t size, uint32_t crc,
		      struct fpvm_error *err);
/*
 * Opens a listed part for reading, checked: listed, present, a regular
 * file, of its size.  Returns the fd or -errno.
 */
int snapshot_part_open(int dirfd, const struct snapshot_manifest *m, const char *name,
		       const struct snapshot_part **part, struct fpvm_error *err);
/* Creates @name, writes @len bytes and fdatasync()s it; 0 or -errno. */
int snapshot_file_write(int dirfd, const char *name, const void *buf, size_t len);
/*
 * The memory CRC of an open memory file of @size bytes; pages with data
 * are copied to @mem when it is not NULL.  0 or -errno.
 */
int snapshot_memory_walk(int fd, uint64_t size, void *mem, uint32_t *crc);

#endif
