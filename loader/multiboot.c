// SPDX-License-Identifier: MIT
/*
 * Multiboot v1 kernels (the Multiboot Specification 0.6.96): the header in
 * the first 8 KiB, ELF32 or ELF64 program headers loaded at their physical
 * addresses, or the a.out kludge's address fields (header flag 16); the
 * information structure a boot loader hands over in EBX.  As with fpvm's
 * own ELF64 guests, the whole image is validated before anything is copied.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/devices.h"
#include "../guest/abi.h"
#include "format.h"

#define MB_HEADER_MAGIC		0x1badb002u
#define MB_BOOTLOADER_MAGIC	0x2badb002u	/* in EAX at entry */
#define MB_SEARCH		8192	/* the header lies within the first 8 KiB */
#define MB_FLAG_PAGE_ALIGN	(1u << 0)	/* modules on page boundaries */
#define MB_FLAG_MEMORY		(1u << 1)	/* mem_* and the memory map */
#define MB_FLAG_VIDEO		(1u << 2)	/* a video mode: fpvm has no display */
#define MB_FLAG_AOUT_KLUDGE	(1u << 16)
/* Bits 0-15 are requirements: a loader that cannot meet one must refuse. */
#define MB_FLAGS_SUPPORTED	(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY)

struct mb_header {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The header's offset in @buf, -ENOENT without one, or -EINVAL with @err set. */
static long find_header(const uint8_t *buf, size_t len, struct mb_header *h,
			struct fpvm_error *err)
{
	size_t end = len < MB_SEARCH ? len : MB_SEARCH;

	for (size_t off = 0; off + 12 <= end; off += 4) {
		if (get32(buf + off) != MB_HEADER_MAGIC)
			continue;
		*h = (struct mb_header){ 0 };
		memcpy(h, buf + off, len - off < sizeof(*h) ? len - off : sizeof(*h));
		if (h->magic + h->flags + h->checksum)
			return BAD(err, "Multiboot header at offset %zu: bad checksum", off);
		if ((h->flags & MB_FLAG_AOUT_KLUDGE) && len - off < sizeof(*h))
			return BAD(err, "Multiboot header at offset %zu: address fields cut off",
				   off);
		return (long)off;
	}
	return -ENOENT;
}

static bool multiboot_detect(const void *buf, size_t len)
{
	struct fpvm_error err;
	struct mb_header h;

	return find_header(buf, len, &h, &err) != -ENOENT;
}

/* The a.out kludge: one segment from the header's own address fields. */
static int aout_segments(const struct mb_header *h, long off, size_t len, struct image *img,
			 struct fpvm_error *err)
{
	uint64_t start, load_end = h->load_end_addr, bss_end = h->bss_end_addr;

	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > (uint64_t)off)
		return BAD(err, "Multiboot load_addr 0x%x is above header_addr 0x%x or before the file",
			   h->load_addr, h->header_addr);
	start = (uint64_t)off - (h->header_addr - h->load_addr);	/* file offset of load_addr */
	if (!load_end)
		load_end = h->load_addr + (len - start);
	if (load_end < h->load_addr || load_end - h->load_addr > len - start)
		return BAD(err, "Multiboot load_end_addr 0x%llx lies beyond the file",
			   (unsigned long long)load_end);
	if (bss_end && bss_end < load_end)
		return BAD(err, "Multiboot bss_end_addr 0x%llx is below load_end_addr",
			   (unsigned long long)bss_end);
	img->seg[0] = (struct image_segment){
		.gpa = h->load_addr, .file_offset = start, .file_size = load_end - h->load_addr,
		.mem_size = (bss_end ? bss_end : load_end) - h->load_addr, .flags = PF_X,
	};
	img->nr_segments = 1;
	img->entry = h->entry_addr;
	return 0;
}

/* ELF32 or ELF64 program headers, loaded at p_paddr (kernels link high, load low). */
static int program_header_segments(const uint8_t *buf, size_t len, struct image *img,
				   struct fpvm_error *err)
{
	bool is64 = len >= EI_NIDENT && buf[EI_CLASS] == ELFCLASS64;
	size_t ehsize = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	uint64_t phoff, entry;
	unsigned int phnum, phentsize;

	if (len < ehsize || memcmp(buf, ELFMAG, SELFMAG))
		return BAD(err, "Multiboot kernel: not an ELF file and no a.out kludge (flag 16)");
	if (is64) {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
		entry = eh.e_entry;
	} else {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		if (eh.e_machine != EM_386)
			return BAD(err, "Multiboot ELF32 kernel for machine %u, not i386", eh.e_machine);
		phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
		entry = eh.e_entry;
	}
	if (phentsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || phoff > len ||
	    (len - phoff) / phentsize < phnum)
		return BAD(err, "Multiboot kernel: program headers beyond the end of the file");
	for (unsigned int i = 0; i < phnum; i++) {
		const uint8_t *p = buf + phoff + (size_t)i * phentsize;
		struct image_segment s;
		uint32_t type;

		if (is64) {
			Elf64_Phdr ph;

			memcpy(&ph, p, sizeof(ph));
			type = ph.p_type;
			s = (struct image_segment){ ph.p_paddr, ph.p_offset, ph.p_filesz,
						    ph.p_memsz, ph.p_flags };
		} else {
			Elf32_Phdr ph;

			memcpy(&ph, p, sizeof(ph));
			type = ph.p_type;
			s = (struct image_segment){ ph.p_paddr, ph.p_offset, ph.p_filesz,
						    ph.p_memsz, ph.p_flags };
		}
		if (type != PT_LOAD || !s.mem_size)
			continue;
		if (img->nr_segments == IMAGE_MAX_SEGMENTS)
			return BAD(err, "more than %d loadable segments", IMAGE_MAX_SEGMENTS);
		if (s.file_size > s.mem_size || s.file_offset > len || s.file_size > len - s.file_offset)
			return BAD(err, "segment %u: data beyond the end of the file", i);
		img->seg[img->nr_segments++] = s;
	}
	img->entry = entry;
	return 0;
}

/*
 * A Multiboot kernel may load anywhere in RAM but fpvm's structures: it
 * gets no page tables, GDT or device tree, so of the first MiB only the
 * ACPI tables' and the information structure's area, 0xe0000-0xfffff, is
 * fpvm's (real-mode tests load at 0x8000).
 */
static struct load_limits multiboot_limits(const struct load_limits *lim)
{
	struct load_limits l = *lim;

	for (unsigned int i = 0; i < l.nr_reserved; i++)
		if (l.reserved[i].start == 0 && l.reserved[i].end == FPVM_IMAGE_BASE)
			l.reserved[i] = (struct addr_range){
				ACPI_TABLES_ADDR, FPVM_MB_INFO_ADDR + FPVM_MB_INFO_MAX,
				"the ACPI tables and the Multiboot information",
			};
	return l;
}

static int multiboot_validate(const void *buf, size_t len, const struct load_limits *lim_in,
			      struct image *img, struct fpvm_error *err)
{
	const struct load_limits l = multiboot_limits(lim_in), *lim = &l;
	struct mb_header h;
	long off = find_header(buf, len, &h, err);
	bool entry_ok = false;
	int r;

	*img = (struct image){ .kind = IMAGE_MULTIBOOT };
	if (off < 0)
		return off == -ENOENT ? BAD(err, "no Multiboot header in the first 8 KiB") : (int)off;
	if (h.flags & 0xffff & ~MB_FLAGS_SUPPORTED)
		return BAD(err, "Multiboot header requires %s (flags 0x%x), which fpvm cannot give",
			   h.flags & MB_FLAG_VIDEO ? "a video mode" : "an unknown feature", h.flags);
	r = h.flags & MB_FLAG_AOUT_KLUDGE ? aout_segments(&h, off, len, img, err)
					  : program_header_segments(buf, len, img, err);
	if (r)
		return r;
	if (!img->nr_segments)
		return BAD(err, "no loadable segments");
	for (unsigned int i = 0; i < img->nr_segments; i++) {
		const struct image_segment *s = &img->seg[i];

		r = segment_check(s, i, img->seg, i, lim, err);
		if (r)
			return r;
		if (img->entry >= s->gpa && img->entry < s->gpa + s->mem_size)
			entry_ok = true;
	}
	/* Entry is in 32-bit protected mode: it must lie below 4 GiB, inside the image. */
	if (!entry_ok || img->entry > UINT32_MAX)
		return BAD(err, "entry point 0x%llx is not inside a loaded segment below 4 GiB",
			   (unsigned long long)img->entry);
	return 0;
}

struct multiboot_module {
	uint64_t start, end;		/* where it lies in guest memory */
	const char *string;
};

struct multiboot_boot {
	const char *cmdline;		/* the kernel's path, then its arguments */
	const struct multiboot_module *modules;
	unsigned int nr_modules;
};

static uint8_t *place(uint8_t *base, uint32_t *used, uint32_t size)
{
	uint8_t *p = base + *used;

	*used += (size + 7) & ~7u;
	return p;
}

static int write_info(const struct guest_mem *mem, const struct multiboot_boot *mb,
		      struct fpvm_error *err)
{
	uint8_t *area = guest_mem_ptr(mem, FPVM_MB_INFO_ADDR, FPVM_MB_INFO_MAX);
	uint64_t low_top = guest_mem_low_top(mem);
	uint32_t used = 0, *info, *mmap;
	const char *loader = "fpvm";
	unsigned int n = 0;
	char *cmdline, *name;
	size_t clen;

	if (!area)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "no room for the Multiboot information");
	memset(area, 0, FPVM_MB_INFO_MAX);
	info = (uint32_t *)place(area, &used, 88);
	/* The memory map: fpvm's RAM, with the legacy hole below 1 MiB reserved. */
	mmap = (uint32_t *)place(area, &used, 24 * 4);
	{
		const struct { uint64_t base, len; uint32_t type; } e[4] = {
			{ 0, 0x9fc00, 1 }, { 0x9fc00, 0x100000 - 0x9fc00, 2 },
			{ 0x100000, low_top - 0x100000, 1 },
			{ mem->nr_regions > 1 ? mem->region[1].gpa : 0,
			  mem->nr_regions > 1 ? mem->region[1].size : 0, 1 },
		};

		for (unsigned int i = 0; i < 4; i++) {
			uint8_t *p = (uint8_t *)mmap + n * 24;
			uint32_t size = 20;

			if (!e[i].len)
				continue;
			memcpy(p, &size, 4);
			memcpy(p + 4, &e[i].base, 8);
			memcpy(p + 12, &e[i].len, 8);
			memcpy(p + 20, &e[i].type, 4);
			n++;
		}
	}
	clen = strlen(mb->cmdline) + 1;
	if (clen > FPVM_MB_INFO_MAX / 2)
		return fpvm_fail(err, FPVM_ERR_CONFIG, E2BIG, "Multiboot command line too long");
	cmdline = (char *)place(area, &used, (uint32_t)clen);
	memcpy(cmdline, mb->cmdline, clen);
	name = (char *)place(area, &used, (uint32_t)strlen(loader) + 1);
	memcpy(name, loader, strlen(loader) + 1);
	if (mb->nr_modules) {
		uint32_t *mods = (uint32_t *)place(area, &used, 16 * mb->nr_modules);

		for (unsigned int i = 0; i < mb->nr_modules; i++) {
			size_t n = strlen(mb->modules[i].string) + 1;
			char *str;

			if (used + n + 8 > FPVM_MB_INFO_MAX)
				return fpvm_fail(err, FPVM_ERR_CONFIG, E2BIG,
						 "Multiboot module strings too long");
			str = (char *)place(area, &used, (uint32_t)n);
			memcpy(str, mb->modules[i].string, n);
			mods[4 * i] = (uint32_t)mb->modules[i].start;
			mods[4 * i + 1] = (uint32_t)mb->modules[i].end;
			mods[4 * i + 2] = FPVM_MB_INFO_ADDR + (uint32_t)((uint8_t *)str - area);
		}
		info[5] = mb->nr_modules;
		info[6] = FPVM_MB_INFO_ADDR + (uint32_t)((uint8_t *)mods - area);
		info[0] |= 1u << 3;
	}
	info[0] |= (1u << 0) | (1u << 2) | (1u << 6) | (1u << 9);	/* mem, cmdline, mmap, name */
	info[1] = 639;						/* mem_lower, KiB */
	info[2] = (uint32_t)((low_top - 0x100000) >> 10);	/* mem_upper, KiB */
	info[4] = FPVM_MB_INFO_ADDR + (uint32_t)((uint8_t *)cmdline - area);
	info[11] = n * 24;					/* mmap_length */
	info[12] = FPVM_MB_INFO_ADDR + (uint32_t)((uint8_t *)mmap - area);
	info[16] = FPVM_MB_INFO_ADDR + (uint32_t)((uint8_t *)name - area);
	return 0;
}

/*
 * Modules go page-aligned above the kernel's highest byte (the kernel may
 * ask for that with header flag 0; fpvm always does it), in low RAM below
 * the boot stacks.
 */
static int load_modules(const struct image *img, const struct guest_mem *mem,
			const struct boot_layout *b, const struct image_boot *boot,
			struct multiboot_module *mods, struct fpvm_error *err)
{
	uint64_t at = 0;

	for (unsigned int i = 0; i < img->nr_segments; i++)
		if (img->seg[i].gpa + img->seg[i].mem_size > at)
			at = img->seg[i].gpa + img->seg[i].mem_size;
	for (unsigned int i = 0; i < boot->nr_modules; i++) {
		const struct image_module *m = &boot->modules[i];
		uint8_t *dst;

		at = (at + 4095) & ~4095ULL;
		dst = at + m->len <= b->stacks_base ? guest_mem_ptr(mem, at, m->len) : NULL;
		if (!dst && m->len)
			return fpvm_fail_config(err, CFG_MEM, "%lluK is too small for the kernel and its "
						"modules", (unsigned long long)(mem->size >> 10));
		memcpy(dst, m->data, m->len);
		mods[i] = (struct multiboot_module){ at, at + m->len, m->string };
		at += m->len;
	}
	return 0;
}

/* The modules, then the information with the kernel's command line as QEMU gives it. */
static int multiboot_prepare(const struct image *img, const struct guest_mem *mem,
			     const struct boot_layout *b, const struct image_boot *boot,
			     struct fpvm_error *err)
{
	struct multiboot_module mods[IMAGE_MAX_MODULES];
	size_t len = strlen(boot->path) + 1;
	char *cmdline, *p;
	int r;

	if (boot->nr_modules > IMAGE_MAX_MODULES)
		return fpvm_fail(err, FPVM_ERR_CONFIG, E2BIG, "more than %d Multiboot modules",
				 IMAGE_MAX_MODULES);
	for (int i = 0; i < boot->nargs; i++)
		len += strlen(boot->args[i]) + 1;
	cmdline = malloc(len);
	if (!cmdline)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	p = stpcpy(cmdline, boot->path);
	for (int i = 0; i < boot->nargs; i++)
		p = stpcpy(stpcpy(p, " "), boot->args[i]);
	r = load_modules(img, mem, b, boot, mods, err) ?:
	    write_info(mem, &(struct multiboot_boot){
		.cmdline = cmdline, .modules = mods, .nr_modules = boot->nr_modules,
	    }, err);
	free(cmdline);
	return r;
}

/* On the PC platform only the BSP starts; the others wait for SIPI in KVM. */
static bool multiboot_entry(const struct image *img, const struct boot_layout *b,
			    unsigned int cpu, bool xsave, struct kvm_regs *regs,
			    struct kvm_sregs *sregs)
{
	(void)xsave;
	if (cpu)
		return false;
	boot_vcpu_state_multiboot(b, (uint32_t)img->entry, MB_BOOTLOADER_MAGIC, FPVM_MB_INFO_ADDR,
				  regs, sregs);
	return true;
}

const struct image_format multiboot_format = {
	.kind = IMAGE_MULTIBOOT,
	.pc = true,
	.modules = true,
	.detect = multiboot_detect,
	.validate = multiboot_validate,
	.prepare = multiboot_prepare,
	.entry = multiboot_entry,
};
