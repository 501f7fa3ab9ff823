// SPDX-License-Identifier: MIT
/*
 * The loader's front: which format an image is, and what every format
 * shares: reading the file, naming it in errors, copying the segments.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/file.h"
#include "format.h"

/*
 * Formats with a header to detect, in the order they are tried; the last
 * one, which detects nothing, takes the rest.  A Multiboot kernel is often
 * an ELF file too, so Multiboot comes before ELF64, and a PVH vmlinux,
 * an ELF file with its note, before both; a bzImage's boot
 * sector and "HdrS" cannot be mistaken for either.
 */
static const struct image_format *const formats[] = {
	&linux_format,
	&pvh_format,
	&multiboot_format,
	&elf64_format,
};

#define NR_FORMATS (sizeof(formats) / sizeof(formats[0]))

static const struct image_format *format_of(const void *buf, size_t len)
{
	for (size_t i = 0; i < NR_FORMATS - 1; i++)
		if (formats[i]->detect(buf, len))
			return formats[i];
	return formats[NR_FORMATS - 1];
}

static const struct image_format *format_by_kind(enum image_kind kind)
{
	for (size_t i = 0; i < NR_FORMATS; i++)
		if (formats[i]->kind == kind)
			return formats[i];
	return &elf64_format;
}

enum image_kind image_detect(const void *buf, size_t len)
{
	return format_of(buf, len)->kind;
}

bool image_kind_pc(enum image_kind kind)
{
	return format_by_kind(kind)->pc;
}

bool image_kind_modules(enum image_kind kind)
{
	return format_by_kind(kind)->modules;
}

bool image_kind_linux(enum image_kind kind)
{
	return format_by_kind(kind)->is_linux;
}

int image_read_file(const char *path, uint64_t max, uint8_t **out, size_t *len,
		    struct fpvm_error *err)
{
	int r = file_read_regular(AT_FDCWD, path, 0, max, FPVM_ERR_INPUT, out, len, err);

	/* An image or module that cannot fit is more use said so than in bytes. */
	if (r == -EFBIG)
		return fpvm_fail(err, FPVM_ERR_INPUT, EFBIG, "%s: larger than guest RAM", path);
	return r;
}

int image_name_error(struct fpvm_error *err, const char *name)
{
	/* Prefix the message with the file name, keeping one line. */
	char msg[sizeof(err->msg)];
	int n;

	memcpy(msg, err->msg, sizeof(msg));
	n = snprintf(err->msg, sizeof(err->msg), "%s: ", name);
	if (n > 0 && (size_t)n < sizeof(err->msg)) {
		size_t k = strnlen(msg, sizeof(err->msg) - (size_t)n - 1);

		memcpy(err->msg + n, msg, k);
		err->msg[(size_t)n + k] = '\0';
	}
	return -EINVAL;
}

int image_validate(const void *buf, size_t len, const struct load_limits *lim,
		   struct image *img, struct fpvm_error *err)
{
	return format_of(buf, len)->validate(buf, len, lim, img, err);
}

int image_load(const void *buf, size_t len, const char *name, const struct guest_mem *mem,
	       const struct load_limits *lim, struct image *img, struct fpvm_error *err)
{
	if (image_validate(buf, len, lim, img, err))
		return image_name_error(err, name);
	for (unsigned int i = 0; i < img->nr_segments; i++) {
		const struct image_segment *s = &img->seg[i];
		uint8_t *dst = guest_mem_ptr(mem, s->gpa, s->mem_size);

		/* Fresh guest RAM is zero: .bss needs no memset (nor its page faults). */
		memcpy(dst, (const uint8_t *)buf + s->file_offset, s->file_size);
	}
	return 0;
}

int image_load_file(const char *path, const struct guest_mem *mem, const struct load_limits *lim,
		    struct image *img, struct fpvm_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = image_read_file(path, mem->size, &buf, &len, err);

	if (r)
		return r;
	r = image_load(buf, len, path, mem, lim, img, err);
	free(buf);
	return r;
}

int image_check_boot(const struct image *img, const struct load_limits *lim,
		     const struct image_boot *boot, struct fpvm_error *err)
{
	const struct image_format *f = format_by_kind(img->kind);

	return f->check ? f->check(img, lim, boot, err) : 0;
}

int image_prepare(const struct image *img, const struct guest_mem *mem,
		  const struct boot_layout *b, const struct image_boot *boot,
		  struct fpvm_error *err)
{
	return format_by_kind(img->kind)->prepare(img, mem, b, boot, err);
}

bool image_entry_state(const struct image *img, const struct boot_layout *b, unsigned int cpu,
		       bool xsave, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	return format_by_kind(img->kind)->entry(img, b, cpu, xsave, regs, sregs);
}
