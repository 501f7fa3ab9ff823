/* SPDX-License-Identifier: MIT */
/*
 * The ELF64 guest loader: validates a whole image before copying anything.
 */
#ifndef FPVM_VMM_LOADER_H
#define FPVM_VMM_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "../base/error.h"
#include "boot.h"
#include "mem.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t gpa;
	uint64_t file_offset;
	uint64_t file_size;
	uint64_t mem_size;
	uint32_t flags;
};

enum image_kind {
	IMAGE_ELF64,		/* fpvm's own guests: long mode at entry (docs/guests.md) */
	IMAGE_MULTIBOOT,	/* Multiboot v1: 32-bit protected mode, EAX/EBX per the spec */
};

struct elf_image {
	enum image_kind kind;
	uint32_t mb_flags;	/* the Multiboot header's flags */
	uint64_t entry;
	unsigned int nr_segments;
	struct elf_segment seg[ELF_MAX_SEGMENTS];
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
int elf_validate(const void *buf, size_t len, const struct load_limits *lim,
		 struct elf_image *img, struct fpvm_error *err);
/* Segment @n lies in RAM and clear of fpvm's structures. */
int elf_check_segment(const struct elf_segment *s, unsigned int n, const struct load_limits *lim,
		      struct fpvm_error *err);
/* A Multiboot kernel or an fpvm ELF64 guest, whichever @buf is. */
int image_validate(const void *buf, size_t len, const struct load_limits *lim,
		   struct elf_image *img, struct fpvm_error *err);
/* The whole file, if it is a regular file of at most @max bytes (caller frees). */
int elf_read_file(const char *path, uint64_t max, uint8_t **out, size_t *len,
		  struct fpvm_error *err);
int elf_load_file(const char *path, const struct guest_mem *mem, const struct load_limits *lim,
		  struct elf_image *img, struct fpvm_error *err);
/* Prefixes @err's message with the image's @name; returns -EINVAL. */
int elf_name_error(struct fpvm_error *err, const char *name);
/* @name only labels error messages. */
int elf_load_buffer(const void *buf, size_t len, const char *name, const struct guest_mem *mem,
		    const struct load_limits *lim, struct elf_image *img, struct fpvm_error *err);

#endif
