/* SPDX-License-Identifier: MIT */
/*
 * Guest images: a kernel's bytes in, guest memory contents and entry state
 * out.  Pure: no ioctls, and no file I/O but reading an image or module
 * (base/file.h).  Every image is validated whole before a byte of it is
 * copied, so a malformed or hostile file gets one error line naming the
 * problem.  Each kind of image (fpvm's ELF64 guests, Multiboot kernels) is
 * one format behind this front (format.h), as binfmts are in the kernel.
 */
#ifndef FPVM_LOADER_H
#define FPVM_LOADER_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "boot.h"
#include "guest_mem.h"

#define IMAGE_MAX_SEGMENTS	16
#define IMAGE_MAX_MODULES	16

/* Between the device tree's window and the image; reserved in the memory map. */
#define FPVM_MB_INFO_ADDR	0xf0000u
#define FPVM_MB_INFO_MAX	0x10000u

enum image_kind {
	IMAGE_ELF64,		/* fpvm's own guests: long mode at entry (docs/guests.md) */
	IMAGE_MULTIBOOT,	/* Multiboot v1: 32-bit protected mode, EAX/EBX per the spec */
	IMAGE_LINUX,		/* a bzImage: the x86 boot protocol's 64-bit entry (linux.h) */
	IMAGE_PVH,		/* an ELF vmlinux with a PVH entry note (pvh.h) */
	NR_IMAGE_KINDS,
};

/* A range of the image file that goes to guest-physical @gpa; the rest of @mem_size is zero. */
struct image_segment {
	uint64_t gpa;
	uint64_t file_offset;
	uint64_t file_size;
	uint64_t mem_size;
	uint32_t flags;		/* ELF p_flags */
};

/* A validated image: where its bytes go and where it starts. */
struct image {
	enum image_kind kind;
	uint64_t entry;
	unsigned int nr_segments;
	struct image_segment seg[IMAGE_MAX_SEGMENTS];
};

struct addr_range {
	uint64_t start;
	uint64_t end;		/* exclusive */
	const char *what;
};

/* Where an image may load: RAM regions minus fpvm's own structures. */
struct load_limits {
	struct addr_range ram[2];
	unsigned int nr_ram;
	struct addr_range reserved[4];
	unsigned int nr_reserved;
};

void load_limits_init(struct load_limits *lim, const struct guest_mem *mem,
		      const struct boot_layout *b);

/* The kind @buf is: the first format whose header it has, ELF64 otherwise. */
enum image_kind image_detect(const void *buf, size_t len);
/*
 * Whether a kernel of @kind boots on the PC platform (in-kernel irqchip and
 * PIT, ACPI tables, what a BIOS leaves), rather than fpvm's own with its
 * device tree.
 */
bool image_kind_pc(enum image_kind kind);
/* Whether a kernel of @kind takes modules. */
bool image_kind_modules(enum image_kind kind);
/*
 * Whether @kind is a Linux kernel (a bzImage, or a PVH vmlinux): fpvm's
 * command line in front of its arguments, its console watched for a
 * panic, its power-off its success, and the RAM default for Linux.
 */
bool image_kind_linux(enum image_kind kind);

/* The whole file, if it is a regular file of at most @max bytes (caller frees). */
int image_read_file(const char *path, uint64_t max, uint8_t **out, size_t *len,
		    struct fpvm_error *err);
/* Prefixes @err's message with the image's @name; returns -EINVAL. */
int image_name_error(struct fpvm_error *err, const char *name);
/* The image @buf is, checked whole against @lim into @img; nothing is copied. */
int image_validate(const void *buf, size_t len, const struct load_limits *lim,
		   struct image *img, struct fpvm_error *err);
/* Validates, then copies the segments into @mem; @name only labels error messages. */
int image_load(const void *buf, size_t len, const char *name, const struct guest_mem *mem,
	       const struct load_limits *lim, struct image *img, struct fpvm_error *err);
int image_load_file(const char *path, const struct guest_mem *mem, const struct load_limits *lim,
		    struct image *img, struct fpvm_error *err);

/* A module as a Multiboot kernel gets it (a Linux kernel's initrd): its bytes and its string. */
struct image_module {
	const uint8_t *data;
	size_t len;
	const char *string;	/* what follows the comma in "FILE,STRING", or "" */
};

/* What a kernel is handed besides its segments. */
struct image_boot {
	/* The image's bytes: a Linux kernel's zero page copies its setup header. */
	const void *image;
	size_t image_len;
	const char *path;	/* the image's name: argv[0] of its command line */
	int nargs;
	char **args;
	const struct image_module *modules;
	unsigned int nr_modules;
};

/*
 * What @img's kind needs of @boot that its image alone does not say,
 * checked against @lim before KVM is opened: a Linux kernel's command line
 * against its cmdline_size, its initrd against initrd_addr_max and RAM.
 * Nothing is written.
 */
int image_check_boot(const struct image *img, const struct load_limits *lim,
		     const struct image_boot *boot, struct fpvm_error *err);
/*
 * The structures @img's kind boots with, written into @mem once its
 * segments are: an ELF64 guest's page tables and GDT, a Multiboot kernel's
 * modules and information structure.
 */
int image_prepare(const struct image *img, const struct guest_mem *mem,
		  const struct boot_layout *b, const struct image_boot *boot,
		  struct fpvm_error *err);
/*
 * vCPU @cpu's registers at @img's entry; @sregs comes from KVM_GET_SREGS.
 * False: this vCPU does not start at the entry (on the PC platform the
 * application processors wait for INIT/SIPI).
 */
bool image_entry_state(const struct image *img, const struct boot_layout *b, unsigned int cpu,
		       bool xsave, struct kvm_regs *regs, struct kvm_sregs *sregs);

#endif
