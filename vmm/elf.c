// SPDX-License-Identifier: MIT
/*
 * Static ELF64 loader.  The whole image is validated before a byte is
 * copied into guest memory: a malformed or hostile file gets one error
 * line naming the problem.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../guest/abi.h"
#include "loader.h"
#include "multiboot.h"

#define BAD(err, ...) fpvm_fail(err, FPVM_ERR_INPUT, ENOEXEC, __VA_ARGS__)

void load_limits_init(struct load_limits *lim, const struct guest_mem *mem,
		      const struct boot_layout *b)
{
	*lim = (struct load_limits){ 0 };
	for (unsigned int i = 0; i < mem->nr_regions; i++)
		lim->ram[lim->nr_ram++] = (struct addr_range){
			mem->region[i].gpa, mem->region[i].gpa + mem->region[i].size, "RAM",
		};
	lim->reserved[lim->nr_reserved++] =
		(struct addr_range){ 0, FPVM_IMAGE_BASE, "fpvm's boot area (first MiB)" };
	lim->reserved[lim->nr_reserved++] = (struct addr_range){
		b->stacks_base, guest_mem_low_top(mem), "the vCPU boot stacks",
	};
}

static bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

int elf_check_segment(const struct elf_segment *s, unsigned int n, const struct load_limits *lim,
		      struct fpvm_error *err)
{
	uint64_t end = s->gpa + s->mem_size;
	bool in_ram = false;

	if (end < s->gpa)
		return BAD(err, "segment %u: address range wraps around", n);
	for (unsigned int i = 0; i < lim->nr_ram; i++)
		if (s->gpa >= lim->ram[i].start && end <= lim->ram[i].end)
			in_ram = true;
	if (!in_ram)
		return BAD(err, "segment %u (0x%llx-0x%llx) is outside guest RAM", n,
			   (unsigned long long)s->gpa, (unsigned long long)end);
	for (unsigned int i = 0; i < lim->nr_reserved; i++)
		if (ranges_overlap(s->gpa, end, lim->reserved[i].start, lim->reserved[i].end))
			return BAD(err, "segment %u (0x%llx-0x%llx) overlaps %s (0x%llx-0x%llx)", n,
				   (unsigned long long)s->gpa, (unsigned long long)end,
				   lim->reserved[i].what, (unsigned long long)lim->reserved[i].start,
				   (unsigned long long)lim->reserved[i].end);
	return 0;
}

static int check_header(const Elf64_Ehdr *eh, size_t len, struct fpvm_error *err)
{
	if (len == 0)
		return BAD(err, "empty file");
	if (len < EI_NIDENT || memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return BAD(err, "not an ELF file (bad magic)");
	if (len < sizeof(*eh))
		return BAD(err, "truncated ELF header (%zu bytes)", len);
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return BAD(err, "not a 64-bit ELF (class %u)", eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return BAD(err, "not a little-endian ELF");
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return BAD(err, "unknown ELF version");
	if (eh->e_machine != EM_X86_64)
		return BAD(err, "not an x86-64 ELF (machine %u)", eh->e_machine);
	if (eh->e_type != ET_EXEC)
		return BAD(err, "not a static executable (ELF type %u; build with -static "
			   "-no-pie)", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return BAD(err, "bad program header size %u", eh->e_phentsize);
	if (eh->e_phnum == 0)
		return BAD(err, "no program headers");
	if (eh->e_phoff > len || (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return BAD(err, "program headers beyond the end of the file");
	return 0;
}

int elf_validate(const void *buf, size_t len, const struct load_limits *lim,
		 struct elf_image *img, struct fpvm_error *err)
{
	const Elf64_Ehdr *eh = buf;
	const uint8_t *phdrs;
	bool entry_ok = false;
	int r;

	*img = (struct elf_image){ 0 };
	r = check_header(eh, len, err);
	if (r)
		return r;
	/* e_phoff need not be aligned: read each header by copy, never in place. */
	phdrs = (const uint8_t *)buf + eh->e_phoff;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		struct elf_segment *s = &img->seg[img->nr_segments];
		Elf64_Phdr ph;

		memcpy(&ph, phdrs + (size_t)i * sizeof(ph), sizeof(ph));

		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			return BAD(err, "dynamically linked (fpvm loads static images only)");
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (img->nr_segments == ELF_MAX_SEGMENTS)
			return BAD(err, "more than %d loadable segments", ELF_MAX_SEGMENTS);
		if (ph.p_filesz > ph.p_memsz)
			return BAD(err, "segment %u: file size exceeds memory size", i);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return BAD(err, "segment %u: data beyond the end of the file (truncated?)", i);
		if (ph.p_vaddr != ph.p_paddr)
			return BAD(err, "segment %u: virtual 0x%llx != physical 0x%llx (fpvm guests "
				   "are identity-mapped)", i, (unsigned long long)ph.p_vaddr,
				   (unsigned long long)ph.p_paddr);
		*s = (struct elf_segment){
			.gpa = ph.p_paddr, .file_offset = ph.p_offset,
			.file_size = ph.p_filesz, .mem_size = ph.p_memsz,
			.flags = ph.p_flags,
		};
		r = elf_check_segment(s, i, lim, err);
		if (r)
			return r;
		for (unsigned int j = 0; j < img->nr_segments; j++)
			if (ranges_overlap(s->gpa, s->gpa + s->mem_size, img->seg[j].gpa,
					   img->seg[j].gpa + img->seg[j].mem_size))
				return BAD(err, "segment %u overlaps an earlier segment", i);
		if ((s->flags & PF_X) && eh->e_entry >= s->gpa && eh->e_entry < s->gpa + s->mem_size)
			entry_ok = true;
		img->nr_segments++;
	}
	if (!img->nr_segments)
		return BAD(err, "no loadable segments");
	if (!entry_ok)
		return BAD(err, "entry point 0x%llx is not inside an executable segment",
			   (unsigned long long)eh->e_entry);
	img->entry = eh->e_entry;
	return 0;
}

int elf_read_file(const char *path, uint64_t max, uint8_t **out, size_t *len,
		  struct fpvm_error *err)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fpvm_fail(err, FPVM_ERR_INPUT, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, errno, "%s: %s", path, strerror(errno));
	}
	if (S_ISDIR(st.st_mode) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, EISDIR, "%s: %s", path,
				 S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_INPUT, EFBIG, "%s: larger than guest RAM", path);
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		close(fd);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	*out = buf;
	*len = done;
	return 0;
}

int elf_name_error(struct fpvm_error *err, const char *name)
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
		   struct elf_image *img, struct fpvm_error *err)
{
	if (multiboot_detect(buf, len))
		return multiboot_validate(buf, len, lim, img, err);
	return elf_validate(buf, len, lim, img, err);
}

int elf_load_buffer(const void *buf, size_t len, const char *name, const struct guest_mem *mem,
		    const struct load_limits *lim, struct elf_image *img, struct fpvm_error *err)
{
	if (image_validate(buf, len, lim, img, err))
		return elf_name_error(err, name);
	for (unsigned int i = 0; i < img->nr_segments; i++) {
		const struct elf_segment *s = &img->seg[i];
		uint8_t *dst = guest_mem_ptr(mem, s->gpa, s->mem_size);

		/* Fresh guest RAM is zero: .bss needs no memset (nor its page faults). */
		memcpy(dst, (const uint8_t *)buf + s->file_offset, s->file_size);
	}
	return 0;
}

int elf_load_file(const char *path, const struct guest_mem *mem, const struct load_limits *lim,
		  struct elf_image *img, struct fpvm_error *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int r = elf_read_file(path, mem->size, &buf, &len, err);

	if (r)
		return r;
	r = elf_load_buffer(buf, len, path, mem, lim, img, err);
	free(buf);
	return r;
}
