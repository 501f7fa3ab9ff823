// SPDX-License-Identifier: MIT
/*
 * Linux kernels by the x86 boot protocol, as the kernel's
 * Documentation/arch/x86/boot.rst describes it: the setup header at 0x1f1
 * of a bzImage, the protected-mode kernel after (setup_sects + 1) sectors,
 * entered at its 64-bit entry point (load address + 0x200, "64-bit Boot
 * Protocol") with a zero page (struct boot_params, "The Zero Page") that
 * carries a copy of the header, the e820 memory map, the command line's
 * and the initrd's addresses.  The real-mode setup code never runs: the
 * 64-bit protocol skips it, so fpvm needs no BIOS calls.
 */
#include <errno.h>
#include <string.h>

#include "linux.h"

/* Setup header fields: file offsets, and the same offsets in the zero page. */
#define HDR_START		0x1f1
#define HDR_SETUP_SECTS		0x1f1
#define HDR_SYSSIZE		0x1f4	/* 16-byte units; 32 bits since 2.04 */
#define HDR_VID_MODE		0x1fa
#define HDR_BOOT_FLAG		0x1fe	/* 0xaa55 */
#define HDR_JUMP_OFFSET		0x201	/* the header ends at 0x202 + this byte */
#define HDR_MAGIC		0x202	/* "HdrS" */
#define HDR_VERSION		0x206
#define HDR_TYPE_OF_LOADER	0x210
#define HDR_LOADFLAGS		0x211
#define HDR_RAMDISK_IMAGE	0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_CMD_LINE_PTR	0x228
#define HDR_INITRD_ADDR_MAX	0x22c
#define HDR_KERNEL_ALIGNMENT	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260

#define LOADED_HIGH		(1u << 0)	/* loadflags: a bzImage, kernel at 0x100000 up */
#define XLF_KERNEL_64		(1u << 0)	/* xloadflags: the 64-bit entry at +0x200 */
#define TYPE_OF_LOADER_UNDEF	0xff		/* a boot loader without an assigned ID */
#define VID_MODE_NORMAL		0xffff

/* struct boot_params fields outside the setup header (arch/x86/include/uapi/asm/bootparam.h). */
#define ZP_ACPI_RSDP_ADDR	0x070	/* protocol 2.14 and later */
#define ZP_E820_ENTRIES		0x1e8
#define ZP_SENTINEL		0x1ef	/* must stay 0, or the kernel clears fields it distrusts */
#define ZP_HDR_END		0x290	/* the header's room in the zero page */
#define ZP_E820_TABLE		0x2d0	/* 20-byte entries: addr, size, type */

#define E820_RAM		1
#define E820_RESERVED		2

/* The legacy area a PC's firmware keeps: EBDA, video memory, option and BIOS ROMs. */
#define EBDA_START		0x9fc00ULL
#define HIGH_MEMORY		0x100000ULL

#define PTE_P			(1ULL << 0)
#define PTE_RW			(1ULL << 1)
#define PTE_PS			(1ULL << 7)
#define CR0_PE			(1ULL << 0)
#define CR0_MP			(1ULL << 1)
#define CR0_ET			(1ULL << 4)
#define CR0_NE			(1ULL << 5)
#define CR0_PG			(1ULL << 31)
#define CR4_PAE			(1ULL << 5)
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

#define SZ_4K			0x1000ULL
#define SZ_1M			0x100000ULL

#define BAD(err, ...) fpvm_fail(err, FPVM_ERR_INPUT, ENOEXEC, __VA_ARGS__)

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, sizeof(v)); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof(v)); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, sizeof(v)); }

bool linux_detect(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	return len >= HDR_MAGIC + 4 && get16(b + HDR_BOOT_FLAG) == 0xaa55 &&
	       !memcmp(b + HDR_MAGIC, "HdrS", 4);
}

/* Where the protected-mode kernel lies in the file, after the setup sectors. */
static int kernel_extent(const uint8_t *b, size_t len, struct linux_image *img,
			 struct fpvm_error *err)
{
	/* boot.rst: "If this field is 0, the real value is 4." */
	uint64_t sects = b[HDR_SETUP_SECTS] ? b[HDR_SETUP_SECTS] : 4;
	uint64_t setup = (sects + 1) * 512;

	/* At most 0x301, inside the smallest setup code (two sectors): no check needed. */
	img->header_end = HDR_MAGIC + b[HDR_JUMP_OFFSET];
	if (img->header_end < LINUX_HEADER_MIN)
		return BAD(err, "Linux setup header ends at 0x%x, before init_size (0x%x)",
			   img->header_end, LINUX_HEADER_MIN);
	img->kernel_offset = setup;
	img->kernel_size = (uint64_t)get32(b + HDR_SYSSIZE) * 16;
	if (!img->kernel_size)
		return BAD(err, "Linux image has no protected-mode kernel (syssize 0)");
	if (setup > len || img->kernel_size > len - setup)
		return BAD(err, "truncated Linux image: %zu bytes, its header says %llu "
			   "(%llu of setup code and %llu of kernel)", len,
			   (unsigned long long)(setup + img->kernel_size), (unsigned long long)setup,
			   (unsigned long long)img->kernel_size);
	return 0;
}

int linux_parse(const void *buf, size_t len, struct linux_image *img, struct fpvm_error *err)
{
	const uint8_t *b = buf;
	int r;

	*img = (struct linux_image){ 0 };
	if (!linux_detect(buf, len))
		return BAD(err, "not a Linux bzImage: no \"HdrS\" setup header at 0x%x", HDR_MAGIC);
	/* "HdrS" ends at 0x206: the version after it may already lie past the end. */
	if (len < LINUX_HEADER_MIN)
		return BAD(err, "truncated Linux image: %zu bytes, its setup header alone takes %u",
			   len, LINUX_HEADER_MIN);
	img->version = get16(b + HDR_VERSION);
	if (img->version < LINUX_MIN_PROTOCOL)
		return BAD(err, "Linux boot protocol %u.%02u is older than %u.%02u, the first with "
			   "a 64-bit entry point", img->version >> 8, img->version & 0xff,
			   LINUX_MIN_PROTOCOL >> 8, LINUX_MIN_PROTOCOL & 0xff);
	r = kernel_extent(b, len, img, err);
	if (r)
		return r;
	img->loadflags = b[HDR_LOADFLAGS];
	img->xloadflags = get16(b + HDR_XLOADFLAGS);
	img->relocatable = b[HDR_RELOCATABLE];
	img->kernel_alignment = get32(b + HDR_KERNEL_ALIGNMENT);
	img->pref_address = get64(b + HDR_PREF_ADDRESS);
	img->init_size = get32(b + HDR_INIT_SIZE);
	img->cmdline_size = get32(b + HDR_CMDLINE_SIZE);
	img->initrd_addr_max = get32(b + HDR_INITRD_ADDR_MAX);
	if (!(img->loadflags & LOADED_HIGH))
		return BAD(err, "Linux zImage (loaded below 1 MiB), not a bzImage");
	if (!(img->xloadflags & XLF_KERNEL_64))
		return BAD(err, "Linux image has no 64-bit entry point (xloadflags 0x%x)",
			   img->xloadflags);
	if (img->relocatable && (img->kernel_alignment < SZ_4K ||
				 (img->kernel_alignment & (img->kernel_alignment - 1))))
		return BAD(err, "Linux kernel_alignment 0x%x is not a power of two of at least 4 KiB",
			   img->kernel_alignment);
	if (!img->relocatable && img->pref_address < HIGH_MEMORY)
		return BAD(err, "Linux kernel is not relocatable and loads at 0x%llx, below 1 MiB",
			   (unsigned long long)img->pref_address);
	/* init_size is what the kernel needs while it decompresses: never less than itself. */
	if (img->init_size < img->kernel_size)
		img->init_size = img->kernel_size;
	return 0;
}

static uint64_t ram_size(const struct linux_ram *ram)
{
	return ram->low_size + ram->high_size;
}

/* @need bytes of low RAM: the message says how much RAM the whole guest needs. */
static int too_small(const struct linux_ram *ram, uint64_t need, const char *what,
		     struct fpvm_error *err)
{
	return fpvm_fail_config(err, CFG_MEM, "%lluM is too small for %s (it needs at least %lluM)",
				(unsigned long long)(ram_size(ram) >> 20), what,
				(unsigned long long)((need + SZ_1M - 1) >> 20));
}

/*
 * boot.rst: a relocatable kernel may load at any kernel_alignment-aligned
 * address and should load at pref_address if it can; one that is not
 * relocatable must load at pref_address.  Both then need init_size bytes
 * of RAM from there.
 */
static int place_kernel(struct linux_boot *b, const struct linux_ram *ram, struct fpvm_error *err)
{
	const struct linux_image *img = &b->img;
	uint64_t at = img->pref_address;

	if (img->relocatable) {
		uint64_t align = img->kernel_alignment;

		if (at < HIGH_MEMORY)
			at = HIGH_MEMORY;
		if (at > UINT64_MAX - align)
			return BAD(err, "Linux pref_address 0x%llx is beyond any RAM",
				   (unsigned long long)at);
		at = (at + align - 1) & ~(align - 1);
	}
	if (at > UINT64_MAX - img->init_size)
		return BAD(err, "Linux pref_address 0x%llx is beyond any RAM",
			   (unsigned long long)at);
	if (at > ram->low_size || img->init_size > ram->low_size - at)
		return too_small(ram, at + img->init_size, "this Linux kernel", err);
	b->kernel_addr = at;
	b->kernel_end = at + img->init_size;
	return 0;
}

/*
 * The initrd goes page-aligned as high as it can (boot.rst: "as high as
 * possible"), its last byte at most initrd_addr_max and in low RAM, above
 * the memory the kernel claims while it decompresses.
 */
static int place_initrd(struct linux_boot *b, const struct linux_params *p, struct fpvm_error *err)
{
	uint64_t size = p->initrd_size, top = b->img.initrd_addr_max + 1;
	uint64_t room = (size + SZ_4K - 1) & ~(SZ_4K - 1);
	uint64_t end = (b->kernel_end + SZ_4K - 1) & ~(SZ_4K - 1);

	if (!p->initrd)
		return 0;
	if (top > p->ram.low_size)
		top = p->ram.low_size;
	if (size > UINT32_MAX)	/* ramdisk_size has 32 bits; low RAM is smaller anyway */
		return too_small(&p->ram, end + room, "this Linux kernel and its initrd", err);
	if (top >= end && top - end >= room) {
		b->initrd_addr = (top - size) & ~(SZ_4K - 1);
		return 0;
	}
	if (top < p->ram.low_size && p->ram.low_size >= end && p->ram.low_size - end >= room)
		return BAD(err, "initrd of %llu bytes does not fit between the kernel's end at "
			   "0x%llx and its initrd_addr_max 0x%llx", (unsigned long long)size,
			   (unsigned long long)b->kernel_end,
			   (unsigned long long)b->img.initrd_addr_max);
	return too_small(&p->ram, end + room, "this Linux kernel and its initrd", err);
}

static void e820_add(uint8_t *zp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t *e = zp + ZP_E820_TABLE + 20 * zp[ZP_E820_ENTRIES];

	if (!size)
		return;
	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, type);
	zp[ZP_E820_ENTRIES]++;
}

/*
 * The zero page ("The Zero Page" and "Details of Header Fields"): the
 * image's own setup header, then what a boot loader must fill in.  The
 * e820 map is fpvm's RAM with the PC's legacy area, where the ACPI tables
 * lie, reserved.
 */
static void write_zero_page(struct linux_boot *b, const uint8_t *image,
			    const struct linux_params *p)
{
	uint8_t *zp = b->zero_page;
	uint32_t end = b->img.header_end < ZP_HDR_END ? b->img.header_end : ZP_HDR_END;
	uint64_t low = p->ram.low_size;

	memset(zp, 0, sizeof(b->zero_page));
	memcpy(zp + HDR_START, image + HDR_START, end - HDR_START);
	put16(zp + HDR_VID_MODE, VID_MODE_NORMAL);
	zp[HDR_TYPE_OF_LOADER] = TYPE_OF_LOADER_UNDEF;
	put32(zp + HDR_CMD_LINE_PTR, (uint32_t)LINUX_CMDLINE_ADDR);
	if (p->initrd) {
		/* Below 4 GiB: low RAM ends at the MMIO hole, so no ext_ramdisk_* fields. */
		put32(zp + HDR_RAMDISK_IMAGE, (uint32_t)b->initrd_addr);
		put32(zp + HDR_RAMDISK_SIZE, (uint32_t)p->initrd_size);
	}
	if (p->acpi_rsdp && b->img.version >= 0x020e)
		put64(zp + ZP_ACPI_RSDP_ADDR, p->acpi_rsdp);
	e820_add(zp, 0, low < EBDA_START ? low : EBDA_START, E820_RAM);
	e820_add(zp, EBDA_START, HIGH_MEMORY - EBDA_START, E820_RESERVED);
	if (low > HIGH_MEMORY)
		e820_add(zp, HIGH_MEMORY, low - HIGH_MEMORY, E820_RAM);
	e820_add(zp, p->ram.high_base, p->ram.high_size, E820_RAM);
}

/* Identity map of the first 4 GiB in 2 MiB pages: the kernel, zero page and command line. */
static void write_page_tables(struct linux_boot *b)
{
	memset(b->pml4, 0, sizeof(b->pml4));
	memset(b->pdpt, 0, sizeof(b->pdpt));
	b->pml4[0] = LINUX_PDPT_ADDR | PTE_P | PTE_RW;
	for (unsigned int g = 0; g < LINUX_NR_PD; g++) {
		b->pdpt[g] = (LINUX_PD_ADDR + g * SZ_4K) | PTE_P | PTE_RW;
		for (unsigned int i = 0; i < 512; i++)
			b->pd[g][i] = ((uint64_t)g << 30) + ((uint64_t)i << 21) + (PTE_P | PTE_RW | PTE_PS);
	}
}

static void add_piece(struct linux_boot *b, const char *what, uint64_t gpa, const void *data,
		      uint64_t len)
{
	b->piece[b->nr_pieces++] = (struct linux_piece){ what, gpa, data, len };
}

void linux_entry_at(uint64_t kernel_addr, struct linux_entry *e)
{
	*e = (struct linux_entry){
		.rip = kernel_addr + LINUX_ENTRY_64,
		.rsi = LINUX_ZERO_PAGE_ADDR,
		.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_PG,
		.cr3 = LINUX_PML4_ADDR,
		.cr4 = CR4_PAE,
		.efer = EFER_LME | EFER_LMA,
		.gdt_base = LINUX_GDT_ADDR,
		.gdt_limit = LINUX_GDT_ENTRIES * sizeof(uint64_t) - 1,
		.cs = LINUX_BOOT_CS,
		.ds = LINUX_BOOT_DS,
	};
}

int linux_prepare(const void *buf, size_t len, const struct linux_params *p,
		  struct linux_boot *b, struct fpvm_error *err)
{
	size_t clen = strlen(p->cmdline);
	int r;

	b->nr_pieces = 0;
	b->initrd_addr = 0;
	r = linux_parse(buf, len, &b->img, err);
	if (r)
		return r;
	if (clen > b->img.cmdline_size || clen >= LINUX_CMDLINE_MAX)
		return BAD(err, "Linux command line of %zu bytes is longer than the kernel's "
			   "limit of %llu (cmdline_size)", clen,
			   (unsigned long long)(b->img.cmdline_size < LINUX_CMDLINE_MAX
						? b->img.cmdline_size : LINUX_CMDLINE_MAX - 1));
	r = place_kernel(b, &p->ram, err) ?: place_initrd(b, p, err);
	if (r)
		return r;
	write_zero_page(b, buf, p);
	write_page_tables(b);
	b->gdt[0] = b->gdt[1] = 0;
	b->gdt[LINUX_BOOT_CS / 8] = 0x00af9b000000ffffULL;	/* 64-bit code: L, P, read/exec */
	b->gdt[LINUX_BOOT_DS / 8] = 0x00cf93000000ffffULL;	/* flat 4 GiB data: G, D, P, r/w */
	linux_entry_at(b->kernel_addr, &b->entry);
	add_piece(b, "the kernel", b->kernel_addr, (const uint8_t *)buf + b->img.kernel_offset,
		  b->img.kernel_size);
	add_piece(b, "the zero page", LINUX_ZERO_PAGE_ADDR, b->zero_page, sizeof(b->zero_page));
	add_piece(b, "the command line", LINUX_CMDLINE_ADDR, p->cmdline, clen + 1);
	add_piece(b, "the boot GDT", LINUX_GDT_ADDR, b->gdt, sizeof(b->gdt));
	add_piece(b, "the PML4", LINUX_PML4_ADDR, b->pml4, sizeof(b->pml4));
	add_piece(b, "the PDPT", LINUX_PDPT_ADDR, b->pdpt, sizeof(b->pdpt));
	add_piece(b, "the page directories", LINUX_PD_ADDR, b->pd, sizeof(b->pd));
	if (p->initrd)
		add_piece(b, "the initrd", b->initrd_addr, p->initrd, p->initrd_size);
	return 0;
}
