// SPDX-License-Identifier: MIT
/*
 * PVH kernels as one of the loader's formats (format.h, pvh.h): an ELF
 * vmlinux loaded at its segments' physical addresses, entered at the
 * XEN_ELFNOTE_PHYS32_ENTRY note's address with EBX pointing at a struct
 * hvm_start_info that carries the command line, the initrd as module 0,
 * the RSDP and the memory map.  A Linux kernel takes module 0 as its
 * initrd and the memory map as its e820 (arch/x86/platform/pvh/
 * enlighten.c), which needs start info version 1: without the map it asks
 * Xen for one.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../devices/devices.h"
#include "format.h"
#include "pvh.h"

#define E820_RAM		1
#define E820_RESERVED		2
#define EBDA_START		0x9fc00ULL
#define HIGH_MEMORY		0x100000ULL
#define SZ_4K			0x1000ULL
#define SZ_1M			0x100000ULL
#define PVH_MEMMAP_MAX		4
/* The boot ABI's TR: a 32-bit TSS of the architecture's minimum size. */
#define PVH_TSS_LIMIT		0x67

/* The ELF64 x86-64 header, with its program headers inside the file; false otherwise. */
static bool elf64_header(const uint8_t *buf, size_t len, Elf64_Ehdr *eh)
{
	if (len < sizeof(*eh) || memcmp(buf, ELFMAG, SELFMAG) || buf[EI_CLASS] != ELFCLASS64 ||
	    buf[EI_DATA] != ELFDATA2LSB)
		return false;
	memcpy(eh, buf, sizeof(*eh));
	return eh->e_machine == EM_X86_64 && eh->e_phentsize == sizeof(Elf64_Phdr) &&
	       eh->e_phoff <= len && (len - eh->e_phoff) / sizeof(Elf64_Phdr) >= eh->e_phnum;
}

static Elf64_Phdr phdr(const uint8_t *buf, const Elf64_Ehdr *eh, unsigned int i)
{
	Elf64_Phdr ph;

	/* e_phoff need not be aligned: copied, never read in place. */
	memcpy(&ph, buf + eh->e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
	return ph;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The Xen PHYS32_ENTRY note among the notes in [p, p + n): 1 found, 0 not, or an error. */
static int note_entry(const uint8_t *p, uint64_t n, uint32_t *entry, struct fpvm_error *err)
{
	while (n >= 12) {
		uint64_t namesz = get32(p), descsz = get32(p + 4), type = get32(p + 8);
		uint64_t name_room = (namesz + 3) & ~3ULL, desc_room = (descsz + 3) & ~3ULL;
		const uint8_t *desc = p + 12 + name_room;
		uint64_t v = 0;

		if (name_room > n - 12 || desc_room > n - 12 - name_room)
			return 0;	/* a cut note ends the list: nothing after it is read */
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == sizeof(PVH_NOTE_NAME) &&
		    !memcmp(p + 12, PVH_NOTE_NAME, sizeof(PVH_NOTE_NAME))) {
			/* Linux gives it as a pointer (8 bytes), others as 32 bits. */
			if (descsz != 4 && descsz != 8)
				return BAD(err, "PVH entry note of %llu bytes, not 4 or 8",
					   (unsigned long long)descsz);
			memcpy(&v, desc, descsz);
			if (v > UINT32_MAX)
				return BAD(err, "PVH entry 0x%llx is above 4 GiB, out of 32-bit reach",
					   (unsigned long long)v);
			*entry = (uint32_t)v;
			return 1;
		}
		p += 12 + name_room + desc_room;
		n -= 12 + name_room + desc_room;
	}
	return 0;
}

int pvh_find_entry(const void *buf, size_t len, uint32_t *entry, struct fpvm_error *err)
{
	const uint8_t *b = buf;
	Elf64_Ehdr eh;

	if (!elf64_header(b, len, &eh))
		return -ENOENT;
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr(b, &eh, i);
		int r;

		if (ph.p_type != PT_NOTE || ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			continue;
		r = note_entry(b + ph.p_offset, ph.p_filesz, entry, err);
		if (r)
			return r < 0 ? r : 0;
	}
	return -ENOENT;
}

static bool pvh_detect(const void *buf, size_t len)
{
	struct fpvm_error err;
	uint32_t entry;

	return pvh_find_entry(buf, len, &entry, &err) != -ENOENT;
}

static uint64_t ram_total(const struct load_limits *lim)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < lim->nr_ram; i++)
		total += lim->ram[i].end - lim->ram[i].start;
	return total;
}

/* @need bytes of low RAM: the message says how much RAM the whole guest needs. */
static int too_small(uint64_t total, uint64_t need, const char *what, struct fpvm_error *err)
{
	return fpvm_fail_config(err, CFG_MEM, "%lluM is too small for %s (it needs at least %lluM)",
				(unsigned long long)(total >> 20), what,
				(unsigned long long)((need + SZ_1M - 1) >> 20));
}

/* The loadable segments at their physical addresses (vmlinux links high, loads low). */
static int pvh_validate(const void *buf, size_t len, const struct load_limits *lim,
			struct image *img, struct fpvm_error *err)
{
	const uint8_t *b = buf;
	uint64_t low_top = lim->nr_ram ? lim->ram[0].end : 0, room_top = low_top;
	bool entry_ok = false;
	uint32_t entry = 0;
	Elf64_Ehdr eh;
	int r = pvh_find_entry(buf, len, &entry, err);

	*img = (struct image){ .kind = IMAGE_PVH };
	for (unsigned int i = 0; i < lim->nr_reserved; i++)
		if (lim->reserved[i].start >= HIGH_MEMORY && lim->reserved[i].start < room_top)
			room_top = lim->reserved[i].start;
	if (r == -ENOENT)
		return BAD(err, "not an ELF64 kernel with a PVH entry note");
	if (r)
		return r;
	elf64_header(b, len, &eh);
	if (eh.e_type != ET_EXEC)
		return BAD(err, "PVH kernel is not an executable (ELF type %u)", eh.e_type);
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph = phdr(b, &eh, i);
		struct image_segment *s = &img->seg[img->nr_segments];

		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (img->nr_segments == IMAGE_MAX_SEGMENTS)
			return BAD(err, "more than %d loadable segments", IMAGE_MAX_SEGMENTS);
		if (ph.p_filesz > ph.p_memsz)
			return BAD(err, "segment %u: file size exceeds memory size", i);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return BAD(err, "segment %u: data beyond the end of the file (truncated?)", i);
		if (ph.p_paddr > UINT64_MAX - ph.p_memsz)
			return BAD(err, "segment %u: address range wraps around", i);
		*s = (struct image_segment){
			.gpa = ph.p_paddr, .file_offset = ph.p_offset,
			.file_size = ph.p_filesz, .mem_size = ph.p_memsz, .flags = ph.p_flags,
		};
		/*
		 * A kernel that reaches past what low RAM leaves it (fpvm keeps
		 * the top for its boot stacks) asks for more RAM, not for
		 * another image.
		 */
		if (s->gpa >= HIGH_MEMORY && s->gpa + s->mem_size > room_top &&
		    s->gpa + s->mem_size <= UINT32_MAX)
			return too_small(ram_total(lim), s->gpa + s->mem_size + (low_top - room_top),
					 "this PVH kernel", err);
		r = segment_check(s, i, img->seg, img->nr_segments, lim, err);
		if (r)
			return r;
		if (entry >= s->gpa && entry < s->gpa + s->mem_size)
			entry_ok = true;
		img->nr_segments++;
	}
	if (!img->nr_segments)
		return BAD(err, "no loadable segments");
	if (!entry_ok)
		return BAD(err, "PVH entry 0x%x is not inside a loaded segment", entry);
	img->entry = entry;
	return 0;
}

/* Where the boot puts the initrd, and the command line it gives. */
struct pvh_layout {
	char *cmdline;
	size_t clen;
	uint64_t initrd_addr, initrd_size;
};

/*
 * The command line checked, and the initrd page-aligned as high as low RAM
 * allows above the kernel's last byte (module addresses have 64 bits, but
 * Linux takes module 0 into the zero page's 32-bit ramdisk_image).
 */
static int lay_out(const struct image *img, uint64_t low_top, uint64_t total,
		   const struct image_boot *boot, struct pvh_layout *l, struct fpvm_error *err)
{
	uint64_t end = 0, room;

	*l = (struct pvh_layout){ 0 };
	if (boot->nr_modules > 1)
		return BAD(err, "a PVH kernel takes one initrd, not %u", boot->nr_modules);
	l->cmdline = linux_cmdline(boot);
	if (!l->cmdline)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	l->clen = strlen(l->cmdline);
	if (l->clen >= PVH_CMDLINE_MAX)
		return BAD(err, "command line of %zu bytes is longer than the kernel's limit of %d "
			   "(x86 Linux's COMMAND_LINE_SIZE)", l->clen, PVH_CMDLINE_MAX - 1);
	if (!boot->nr_modules)
		return 0;
	for (unsigned int i = 0; i < img->nr_segments; i++)
		if (img->seg[i].gpa + img->seg[i].mem_size > end)
			end = img->seg[i].gpa + img->seg[i].mem_size;
	end = (end + SZ_4K - 1) & ~(SZ_4K - 1);
	l->initrd_size = boot->modules[0].len;
	room = (l->initrd_size + SZ_4K - 1) & ~(SZ_4K - 1);
	if (l->initrd_size > UINT32_MAX || low_top < end || low_top - end < room)
		return too_small(total, end + room, "this PVH kernel and its initrd", err);
	l->initrd_addr = (low_top - l->initrd_size) & ~(SZ_4K - 1);
	return 0;
}

static int pvh_check(const struct image *img, const struct load_limits *lim,
		     const struct image_boot *boot, struct fpvm_error *err)
{
	struct pvh_layout l;
	int r = lay_out(img, lim->nr_ram ? lim->ram[0].end : 0, ram_total(lim), boot, &l, err);

	free(l.cmdline);
	return r;
}

/* fpvm's RAM with the PC's legacy area (EBDA, ACPI tables, ROMs) reserved, as e820 has it. */
static uint32_t write_memmap(struct pvh_memmap_entry *m, const struct guest_mem *mem)
{
	uint64_t low = guest_mem_low_top(mem);
	const struct pvh_memmap_entry e[PVH_MEMMAP_MAX] = {
		{ 0, low < EBDA_START ? low : EBDA_START, E820_RAM, 0 },
		{ EBDA_START, HIGH_MEMORY - EBDA_START, E820_RESERVED, 0 },
		{ HIGH_MEMORY, low > HIGH_MEMORY ? low - HIGH_MEMORY : 0, E820_RAM, 0 },
		{ mem->nr_regions > 1 ? mem->region[1].gpa : 0,
		  mem->nr_regions > 1 ? mem->region[1].size : 0, E820_RAM, 0 },
	};
	uint32_t n = 0;

	for (unsigned int i = 0; i < PVH_MEMMAP_MAX; i++)
		if (e[i].size)
			m[n++] = e[i];
	return n;
}

static int pvh_prepare(const struct image *img, const struct guest_mem *mem,
		       const struct boot_layout *bl, const struct image_boot *boot,
		       struct fpvm_error *err)
{
	struct pvh_start_info *si = guest_mem_ptr(mem, PVH_START_INFO_ADDR, sizeof(*si));
	struct pvh_module *mod = guest_mem_ptr(mem, PVH_MODLIST_ADDR, sizeof(*mod));
	struct pvh_memmap_entry *map = guest_mem_ptr(mem, PVH_MEMMAP_ADDR,
						     PVH_MEMMAP_MAX * sizeof(*map));
	char *cmdline = guest_mem_ptr(mem, PVH_CMDLINE_ADDR, PVH_CMDLINE_MAX);
	uint64_t total = mem->size;
	struct pvh_layout l;
	void *initrd = NULL;
	int r;

	(void)bl;
	if (!si || !mod || !map || !cmdline)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "no room for the PVH start info");
	r = lay_out(img, guest_mem_low_top(mem), total, boot, &l, err);
	if (!r && boot->nr_modules) {
		initrd = guest_mem_ptr(mem, l.initrd_addr, l.initrd_size);
		if (!initrd && l.initrd_size)
			r = fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "the initrd at 0x%llx is outside "
				      "RAM", (unsigned long long)l.initrd_addr);
	}
	if (r) {
		free(l.cmdline);
		return r;
	}
	memcpy(cmdline, l.cmdline, l.clen + 1);
	*si = (struct pvh_start_info){
		.magic = PVH_START_MAGIC, .version = PVH_START_VERSION,
		.cmdline_paddr = PVH_CMDLINE_ADDR, .rsdp_paddr = ACPI_TABLES_ADDR,
		.memmap_paddr = PVH_MEMMAP_ADDR, .memmap_entries = write_memmap(map, mem),
	};
	if (boot->nr_modules) {
		memcpy(initrd, boot->modules[0].data, l.initrd_size);
		*mod = (struct pvh_module){ .paddr = l.initrd_addr, .size = l.initrd_size };
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST_ADDR;
	}
	free(l.cmdline);
	return 0;
}

/*
 * The BSP at the PVH entry (the boot ABI: 32-bit protected mode, paging
 * off, flat CS and data segments, TR a 32-bit TSS of limit 0x67, EBX the
 * start info); the others wait for INIT/SIPI, as on a PC.
 */
static bool pvh_entry(const struct image *img, const struct boot_layout *b, unsigned int cpu,
		      bool xsave, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	(void)xsave;
	if (cpu)
		return false;
	boot_vcpu_state_multiboot(b, (uint32_t)img->entry, 0, PVH_START_INFO_ADDR, regs, sregs);
	sregs->tr.limit = PVH_TSS_LIMIT;
	return true;
}

const struct image_format pvh_format = {
	.kind = IMAGE_PVH,
	.pc = true,
	.modules = true,
	.is_linux = true,
	.detect = pvh_detect,
	.validate = pvh_validate,
	.check = pvh_check,
	.prepare = pvh_prepare,
	.entry = pvh_entry,
};
