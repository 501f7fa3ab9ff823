// SPDX-License-Identifier: MIT
/*
 * fpvm's own guests: static ELF64 executables, identity-mapped, entered in
 * long mode with the page tables and GDT fpvm writes (docs/guests.md).
 */
#include <elf.h>
#include <string.h>

#include "format.h"

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

static int elf64_validate(const void *buf, size_t len, const struct load_limits *lim,
			  struct image *img, struct fpvm_error *err)
{
	const Elf64_Ehdr *eh = buf;
	const uint8_t *phdrs;
	bool entry_ok = false;
	int r;

	*img = (struct image){ .kind = IMAGE_ELF64 };
	r = check_header(eh, len, err);
	if (r)
		return r;
	/* e_phoff need not be aligned: read each header by copy, never in place. */
	phdrs = (const uint8_t *)buf + eh->e_phoff;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		struct image_segment *s = &img->seg[img->nr_segments];
		Elf64_Phdr ph;

		memcpy(&ph, phdrs + (size_t)i * sizeof(ph), sizeof(ph));

		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			return BAD(err, "dynamically linked (fpvm loads static images only)");
		/*
		 * A static host program (static glibc, fpvm itself as built by
		 * default) is an ET_EXEC with no interpreter, but its libc keeps
		 * errno in thread-local storage, which no freestanding guest has.
		 */
		if (ph.p_type == PT_TLS)
			return BAD(err, "a host program, not a guest (it has thread-local storage, "
				   "PT_TLS)");
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (img->nr_segments == IMAGE_MAX_SEGMENTS)
			return BAD(err, "more than %d loadable segments", IMAGE_MAX_SEGMENTS);
		if (ph.p_filesz > ph.p_memsz)
			return BAD(err, "segment %u: file size exceeds memory size", i);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return BAD(err, "segment %u: data beyond the end of the file (truncated?)", i);
		if (ph.p_vaddr != ph.p_paddr)
			return BAD(err, "segment %u: virtual 0x%llx != physical 0x%llx (fpvm guests "
				   "are identity-mapped)", i, (unsigned long long)ph.p_vaddr,
				   (unsigned long long)ph.p_paddr);
		*s = (struct image_segment){
			.gpa = ph.p_paddr, .file_offset = ph.p_offset,
			.file_size = ph.p_filesz, .mem_size = ph.p_memsz,
			.flags = ph.p_flags,
		};
		r = segment_check(s, i, img->seg, img->nr_segments, lim, err);
		if (r)
			return r;
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

static int elf64_prepare(const struct image *img, const struct guest_mem *mem,
			 const struct boot_layout *b, const struct image_boot *boot,
			 struct fpvm_error *err)
{
	(void)img;
	(void)boot;
	if (boot_write_tables(b, mem))
		return fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "cannot write page tables");
	return 0;
}

/* Every vCPU starts at the entry, each on its own boot stack (guest/abi.h). */
static bool elf64_entry(const struct image *img, const struct boot_layout *b, unsigned int cpu,
			bool xsave, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	boot_vcpu_state(b, cpu, img->entry, xsave, regs, sregs);
	return true;
}

const struct image_format elf64_format = {
	.kind = IMAGE_ELF64,
	.validate = elf64_validate,
	.prepare = elf64_prepare,
	.entry = elf64_entry,
};
