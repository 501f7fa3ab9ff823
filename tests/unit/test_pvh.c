// SPDX-License-Identifier: MIT
/*
 * PVH kernels through the loader's front (loader/pvh.c behind loader.h),
 * on synthetic ELF vmlinux images: detected by their Xen PHYS32_ENTRY
 * note, loaded at their physical addresses, bad notes and RAM too small
 * refused, the start info (version 1: command line, initrd as module 0,
 * RSDP, memory map) and the 32-bit entry state of the boot ABI.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../../devices/devices.h"
#include "../../loader/loader.h"
#include "../../loader/pvh.h"
#include "testutil.h"

#define MEM_SIZE	(64ULL << 20)
#define KERNEL_PADDR	0x1000000ULL
#define KERNEL_VADDR	0xffffffff81000000ULL
#define ENTRY		(KERNEL_PADDR + 0x850)
#define TEXT_OFFSET	0x1000
#define TEXT_SIZE	0x2000
#define BSS_SIZE	0x100000
#define NOTE_OFFSET	0x200
#define IMAGE_SIZE	(TEXT_OFFSET + TEXT_SIZE)

static uint8_t image[IMAGE_SIZE];
static size_t image_len;
static uint8_t *host;
static struct guest_mem mem;
static struct boot_layout bl;
static struct load_limits lim;
static struct fpvm_error err;
static struct image img;

/* A note: "GNU" first, then Xen's PHYS32_ENTRY with @desc of @descsz bytes. */
static size_t put_notes(uint8_t *p, uint32_t descsz, uint64_t desc)
{
	static const uint8_t gnu[] = { 4, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 'G', 'N', 'U', 0,
				       1, 2, 3, 4 };
	uint32_t hdr[3] = { 4, descsz, XEN_ELFNOTE_PHYS32_ENTRY };
	size_t n = sizeof(gnu);

	memcpy(p, gnu, sizeof(gnu));
	memcpy(p + n, hdr, sizeof(hdr));
	memcpy(p + n + 12, "Xen", 4);
	memcpy(p + n + 16, &desc, descsz < 8 ? descsz : 8);
	return n + 16 + ((descsz + 3) & ~3u);
}

/* vmlinux's shape: linked high, loaded low (p_paddr), .bss beyond the file, a PT_NOTE. */
static void make_image(uint32_t descsz, uint64_t entry)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_EXEC, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_entry = KERNEL_PADDR, .e_phoff = sizeof(eh), .e_ehsize = sizeof(eh),
		.e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 2,
	};
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = TEXT_OFFSET,
		  .p_vaddr = KERNEL_VADDR, .p_paddr = KERNEL_PADDR, .p_filesz = TEXT_SIZE,
		  .p_memsz = TEXT_SIZE + BSS_SIZE, .p_align = 0x200000 },
		{ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = NOTE_OFFSET, .p_align = 4 },
	};

	memset(image, 0, sizeof(image));
	ph[1].p_filesz = ph[1].p_memsz = put_notes(image + NOTE_OFFSET, descsz, entry);
	memcpy(image, &eh, sizeof(eh));
	memcpy(image + sizeof(eh), ph, sizeof(ph));
	for (size_t i = 0; i < TEXT_SIZE; i++)
		image[TEXT_OFFSET + i] = (uint8_t)(i * 7 + 1);
	image_len = sizeof(image);
}

static void layout(uint64_t size)
{
	free(host);
	host = calloc(1, size);
	ck_assert_ptr_nonnull(host);
	guest_mem_layout(&mem, size, host);
	ck_assert_int_eq(boot_layout_init(&bl, &mem, 1, 1, &err), 0);
	load_limits_init(&lim, &mem, &bl);
}

static void setup(void)
{
	host = NULL;
	make_image(8, ENTRY);
	layout(MEM_SIZE);
	err = (struct fpvm_error){ 0 };
}

static void teardown(void)
{
	free(host);
	host = NULL;
}

static struct image_boot boot_of(int nargs, char **args, const struct image_module *mods,
				 unsigned int nr_mods)
{
	return (struct image_boot){
		.image = image, .image_len = image_len, .path = "vmlinux",
		.nargs = nargs, .args = args, .modules = mods, .nr_modules = nr_mods,
	};
}

static void expect_bad(const char *fragment)
{
	ck_assert_int_ne(image_validate(image, image_len, &lim, &img, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_msg(strstr(err.msg, fragment), "'%s' lacks '%s'", err.msg, fragment);
}

START_TEST(front_detects_pvh)
{
	uint32_t entry = 0;

	ck_assert_int_eq(image_detect(image, image_len), IMAGE_PVH);
	ck_assert(image_kind_pc(IMAGE_PVH) && image_kind_modules(IMAGE_PVH));
	ck_assert(image_kind_linux(IMAGE_PVH) && image_kind_linux(IMAGE_LINUX));
	ck_assert(!image_kind_linux(IMAGE_ELF64) && !image_kind_linux(IMAGE_MULTIBOOT));
	ck_assert_int_eq(pvh_find_entry(image, image_len, &entry, &err), 0);
	ck_assert_uint_eq(entry, ENTRY);
	/* A 4-byte note (not Linux's pointer) is the same entry. */
	make_image(4, ENTRY);
	ck_assert_int_eq(pvh_find_entry(image, image_len, &entry, &err), 0);
	ck_assert_uint_eq(entry, ENTRY);
	/* Another note type, or another owner: an ordinary ELF file. */
	image[NOTE_OFFSET + 20 + 8] = 17;
	ck_assert_int_eq(image_detect(image, image_len), IMAGE_ELF64);
	make_image(8, ENTRY);
	image[NOTE_OFFSET + 20 + 12] = 'x';
	ck_assert_int_eq(image_detect(image, image_len), IMAGE_ELF64);
}
END_TEST

/* A note that claims more than its segment holds ends the list, read no further. */
START_TEST(cut_notes_are_no_entry)
{
	uint32_t big = 0xfffffff0, entry;

	memcpy(image + NOTE_OFFSET, &big, 4);		/* the GNU note's namesz */
	ck_assert_int_eq(pvh_find_entry(image, image_len, &entry, &err), -ENOENT);
	make_image(8, ENTRY);
	/* The PT_NOTE's size past the file's end: not read. */
	image_len = NOTE_OFFSET + 10;
	ck_assert_int_eq(pvh_find_entry(image, image_len, &entry, &err), -ENOENT);
}
END_TEST

START_TEST(segments_at_physical_addresses)
{
	ck_assert_int_eq(image_validate(image, image_len, &lim, &img, &err), 0);
	ck_assert_int_eq(img.kind, IMAGE_PVH);
	ck_assert_uint_eq(img.nr_segments, 1);
	ck_assert_uint_eq(img.seg[0].gpa, KERNEL_PADDR);
	ck_assert_uint_eq(img.seg[0].file_offset, TEXT_OFFSET);
	ck_assert_uint_eq(img.seg[0].file_size, TEXT_SIZE);
	ck_assert_uint_eq(img.seg[0].mem_size, TEXT_SIZE + BSS_SIZE);
	ck_assert_uint_eq(img.entry, ENTRY);
	ck_assert_int_eq(image_load(image, image_len, "vmlinux", &mem, &lim, &img, &err), 0);
	ck_assert_mem_eq(host + KERNEL_PADDR, image + TEXT_OFFSET, TEXT_SIZE);
}
END_TEST

START_TEST(bad_notes_and_entries)
{
	make_image(2, ENTRY);
	expect_bad("PVH entry note of 2 bytes, not 4 or 8");
	make_image(8, 0x100000000ULL);
	expect_bad("PVH entry 0x100000000 is above 4 GiB");
	make_image(8, KERNEL_PADDR - 0x10);
	expect_bad("PVH entry 0xfffff0 is not inside a loaded segment");
	make_image(8, ENTRY);
	image[16] = ET_DYN;
	expect_bad("PVH kernel is not an executable (ELF type 3)");
	make_image(8, ENTRY);
	image_len = TEXT_OFFSET + 16;
	expect_bad("segment 0: data beyond the end of the file (truncated?)");
}
END_TEST

/* A kernel past what low RAM leaves is a RAM size to raise (64), not a bad image (65). */
START_TEST(ram_too_small)
{
	layout(16ULL << 20);
	ck_assert_int_ne(image_validate(image, image_len, &lim, &img, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
	ck_assert_msg(strstr(err.msg, "16M is too small for this PVH kernel (it needs at least 18M)"),
		      "%s", err.msg);
}
END_TEST

START_TEST(check_before_kvm)
{
	static char *args[] = { "quiet" };
	uint8_t *big = malloc(MEM_SIZE);
	const struct image_module two[2] = { { image, 16, "" }, { image, 16, "" } };
	const struct image_module huge = { big, MEM_SIZE - (16ULL << 20), "" };
	struct image_boot boot = boot_of(1, args, NULL, 0);
	char *longline[1];

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(image_validate(image, image_len, &lim, &img, &err), 0);
	ck_assert_int_eq(image_check_boot(&img, &lim, &boot, &err), 0);
	boot = boot_of(1, args, two, 2);
	ck_assert_int_ne(image_check_boot(&img, &lim, &boot, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_str_eq(err.msg, "a PVH kernel takes one initrd, not 2");
	boot = boot_of(1, args, &huge, 1);
	ck_assert_int_ne(image_check_boot(&img, &lim, &boot, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
	ck_assert_msg(strstr(err.msg, "too small for this PVH kernel and its initrd"), "%s",
		      err.msg);
	longline[0] = malloc(PVH_CMDLINE_MAX);
	ck_assert_ptr_nonnull(longline[0]);
	memset(longline[0], 'x', PVH_CMDLINE_MAX - 1);
	longline[0][PVH_CMDLINE_MAX - 1] = '\0';
	boot = boot_of(1, longline, NULL, 0);
	ck_assert_int_ne(image_check_boot(&img, &lim, &boot, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_INPUT);
	ck_assert_msg(strstr(err.msg, "longer than the kernel's limit of 2047"), "%s", err.msg);
	free(longline[0]);
	free(big);
}
END_TEST

START_TEST(start_info)
{
	static char *args[] = { "quiet", "--", "status=3" };
	static const uint8_t rd[5000] = { 0x30, 0x37, 0x30, 0x37, 0x30, 0x31 };
	const struct image_module initrd = { rd, sizeof(rd), "" };
	struct image_boot boot = boot_of(3, args, &initrd, 1);
	struct pvh_start_info si;
	struct pvh_module mod;
	struct pvh_memmap_entry map[4];

	ck_assert_int_eq(image_load(image, image_len, "vmlinux", &mem, &lim, &img, &err), 0);
	ck_assert_int_eq(image_prepare(&img, &mem, &bl, &boot, &err), 0);
	memcpy(&si, host + PVH_START_INFO_ADDR, sizeof(si));
	ck_assert_uint_eq(si.magic, 0x336ec578);
	ck_assert_uint_eq(si.version, 1);
	ck_assert_uint_eq(si.cmdline_paddr, PVH_CMDLINE_ADDR);
	ck_assert_str_eq((char *)host + PVH_CMDLINE_ADDR, "console=ttyS0 panic=-1 quiet -- status=3");
	ck_assert_uint_eq(si.rsdp_paddr, ACPI_TABLES_ADDR);
	ck_assert_uint_eq(si.nr_modules, 1);
	memcpy(&mod, host + si.modlist_paddr, sizeof(mod));
	ck_assert_uint_eq(mod.size, sizeof(rd));
	ck_assert_uint_eq(mod.paddr & 0xfff, 0);
	ck_assert_uint_ge(mod.paddr, KERNEL_PADDR + TEXT_SIZE + BSS_SIZE);
	ck_assert_uint_le(mod.paddr + mod.size, MEM_SIZE);
	ck_assert_mem_eq(host + mod.paddr, rd, sizeof(rd));
	/* fpvm's RAM, the PC's legacy area reserved, as the e820 map a bzImage gets. */
	ck_assert_uint_eq(si.memmap_entries, 3);
	memcpy(map, host + si.memmap_paddr, sizeof(map));
	ck_assert_uint_eq(map[0].addr, 0);
	ck_assert_uint_eq(map[0].size, 0x9fc00);
	ck_assert_uint_eq(map[0].type, 1);
	ck_assert_uint_eq(map[1].addr, 0x9fc00);
	ck_assert_uint_eq(map[1].type, 2);
	ck_assert_uint_eq(map[2].addr, 0x100000);
	ck_assert_uint_eq(map[2].addr + map[2].size, MEM_SIZE);
	ck_assert_uint_eq(map[2].type, 1);
	/* Without an initrd: no module list. */
	boot = boot_of(0, NULL, NULL, 0);
	ck_assert_int_eq(image_prepare(&img, &mem, &bl, &boot, &err), 0);
	memcpy(&si, host + PVH_START_INFO_ADDR, sizeof(si));
	ck_assert_uint_eq(si.nr_modules, 0);
	ck_assert_uint_eq(si.modlist_paddr, 0);
	ck_assert_str_eq((char *)host + PVH_CMDLINE_ADDR, "console=ttyS0 panic=-1");
}
END_TEST

/* The boot ABI: 32-bit flat protected mode, paging off, EBX the start info; APs wait. */
START_TEST(bsp_alone_at_entry)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs = { 0 };

	ck_assert_int_eq(image_validate(image, image_len, &lim, &img, &err), 0);
	ck_assert(image_entry_state(&img, &bl, 0, true, &regs, &sregs));
	ck_assert_uint_eq(regs.rip, ENTRY);
	ck_assert_uint_eq(regs.rbx, PVH_START_INFO_ADDR);
	ck_assert_uint_eq(regs.rflags & ((1u << 9) | (1u << 8) | (1u << 17)), 0);
	ck_assert_uint_eq(sregs.cr0 & 0x80000001u, 1);
	ck_assert_uint_eq(sregs.cr4, 0);
	ck_assert_uint_eq(sregs.efer, 0);
	ck_assert(sregs.cs.db && !sregs.cs.l && sregs.cs.base == 0 && sregs.cs.limit == 0xffffffff);
	ck_assert(sregs.ds.db && sregs.ds.limit == 0xffffffff && sregs.ss.limit == 0xffffffff);
	ck_assert_uint_eq(sregs.tr.base, 0);
	ck_assert_uint_eq(sregs.tr.limit, 0x67);
	ck_assert_uint_eq(sregs.tr.type, 0xb);
	ck_assert(!image_entry_state(&img, &bl, 1, true, &regs, &sregs));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pvh");
	TCase *tc = tcase_create("loader");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, front_detects_pvh);
	tcase_add_test(tc, cut_notes_are_no_entry);
	tcase_add_test(tc, segments_at_physical_addresses);
	tcase_add_test(tc, bad_notes_and_entries);
	tcase_add_test(tc, ram_too_small);
	tcase_add_test(tc, check_before_kvm);
	tcase_add_test(tc, start_info);
	tcase_add_test(tc, bsp_alone_at_entry);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
