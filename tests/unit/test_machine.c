// SPDX-License-Identifier: MIT
/* The machine a guest sees: page tables, entry state, device tree, CPUID. */
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../guest/abi.h"
#include "../../vmm/dtb.h"
#include "testutil.h"

static struct fpvm_error err;

/* ---- boot layout and tables ---- */

static uint64_t walk(const struct guest_mem *mem, uint64_t va, bool *present)
{
	const uint64_t *pml4 = guest_mem_ptr(mem, FPVM_PML4_ADDR, 4096);
	uint64_t e = pml4[(va >> 39) & 511];
	const uint64_t *t;

	*present = false;
	if (!(e & 1))
		return 0;
	t = guest_mem_ptr(mem, e & ~0xfffULL, 4096);
	e = t[(va >> 30) & 511];
	if (!(e & 1))
		return 0;
	t = guest_mem_ptr(mem, e & ~0xfffULL, 4096);
	e = t[(va >> 21) & 511];
	if (!(e & 1))
		return 0;
	if (e & 0x80) {
		*present = (e & 7) == 7;
		return (e & ~0x1fffffULL & ((1ULL << 52) - 1)) | (va & 0x1fffff);
	}
	t = guest_mem_ptr(mem, e & ~0xfffULL, 4096);
	e = t[(va >> 12) & 511];
	*present = (e & 7) == 7;
	return (e & ~0xfffULL) | (va & 0xfff);
}

START_TEST(page_tables_identity_map)
{
	struct guest_mem mem;
	struct boot_layout b;
	static const uint64_t probes[] = {
		0x1000, 0x1fffff, 0x200000, 0x100000, 0x3ffffff, 0xbfffffff, 0xfee00000, 0xffffffff,
	};
	bool present;

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &err), 0);
	ck_assert_int_eq(boot_layout_init(&b, &mem, 2, 0, &err), 0);
	ck_assert_uint_eq(b.stacks_base, (64ULL << 20) - 2 * FPVM_BOOT_STACK_SIZE);
	ck_assert_uint_eq(b.map_top, 4ULL << 30);
	ck_assert_int_eq(boot_write_tables(&b, &mem), 0);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		ck_assert_uint_eq(walk(&mem, probes[i], &present), probes[i]);
		ck_assert_msg(present, "0x%llx not mapped", (unsigned long long)probes[i]);
	}
	/* The null page is not mapped; neither is anything past map_top. */
	walk(&mem, 0x10, &present);
	ck_assert(!present);
	walk(&mem, 4ULL << 30, &present);
	ck_assert(!present);
	guest_mem_free(&mem);
}
END_TEST

START_TEST(high_memory_above_the_hole)
{
	struct guest_mem mem;
	struct boot_layout b;
	bool present;

	ck_assert_int_eq(guest_mem_alloc(&mem, 5ULL << 30, &err), 0);
	ck_assert_uint_eq(mem.nr_regions, 2);
	ck_assert_uint_eq(mem.region[0].size, 3ULL << 30);
	ck_assert_uint_eq(mem.region[1].gpa, 4ULL << 30);
	ck_assert_uint_eq(mem.region[1].size, 2ULL << 30);
	ck_assert_ptr_null(guest_mem_ptr(&mem, 3ULL << 30, 1));	/* the hole */
	ck_assert_ptr_nonnull(guest_mem_ptr(&mem, (6ULL << 30) - 8, 8));
	ck_assert_ptr_null(guest_mem_ptr(&mem, (6ULL << 30) - 8, 9));
	ck_assert_int_eq(boot_layout_init(&b, &mem, 1, 0, &err), 0);
	ck_assert_uint_eq(b.map_top, 6ULL << 30);
	ck_assert_int_eq(boot_write_tables(&b, &mem), 0);
	ck_assert_uint_eq(walk(&mem, (6ULL << 30) - 4096, &present), (6ULL << 30) - 4096);
	ck_assert(present);
	guest_mem_free(&mem);
}
END_TEST

START_TEST(layout_rejects_too_little_memory)
{
	struct guest_mem mem;
	struct boot_layout b;

	ck_assert_int_eq(guest_mem_alloc(&mem, 2ULL << 20, &err), 0);
	ck_assert_int_eq(boot_layout_init(&b, &mem, 1, 0, &err), 0);
	ck_assert_int_lt(boot_layout_init(&b, &mem, 32, 0, &err), 0);
	ck_assert_int_eq(err.cls, FPVM_ERR_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, "too small for 32 vCPUs"));
	guest_mem_free(&mem);
}
END_TEST

START_TEST(entry_state)
{
	struct guest_mem mem;
	struct boot_layout b;
	struct kvm_regs regs;
	struct kvm_sregs sregs = { 0 };

	ck_assert_int_eq(guest_mem_alloc(&mem, 64ULL << 20, &err), 0);
	ck_assert_int_eq(boot_layout_init(&b, &mem, 4, 0, &err), 0);
	boot_vcpu_state(&b, 2, 0x100040, true, &regs, &sregs);
	ck_assert_uint_eq(regs.rip, 0x100040);
	ck_assert_uint_eq(regs.rdi, FPVM_FDT_ADDR);
	ck_assert_uint_eq(regs.rsi, 2);
	ck_assert_uint_eq(regs.rdx, 4);
	ck_assert_uint_eq(regs.rsp, b.stacks_base + 3 * FPVM_BOOT_STACK_SIZE);
	ck_assert_uint_eq(regs.rsp % 16, 0);
	ck_assert_uint_eq(regs.rflags, 2);
	ck_assert_uint_eq(sregs.cs.selector, FPVM_SEL_CODE64);
	ck_assert(sregs.cs.l && !sregs.cs.db && sregs.cs.dpl == 0);
	ck_assert_uint_eq(sregs.cr3, FPVM_PML4_ADDR);
	ck_assert_uint_eq(sregs.cr0 & 0x8000000fULL, 0x80000003ULL);	/* PG, PE, MP; no EM/TS */
	ck_assert_uint_eq(sregs.cr4 & (1 << 18), 1 << 18);
	ck_assert_uint_eq(sregs.efer & 0x500, 0x500);
	boot_vcpu_state(&b, 0, 0x100000, false, &regs, &sregs);
	ck_assert_uint_eq(sregs.cr4 & (1 << 18), 0);	/* no OSXSAVE without XSAVE */
	guest_mem_free(&mem);
}
END_TEST

/* ---- device tree ---- */

static uint8_t fdt[64 * 1024];

static void build_fdt(unsigned int nr_cpus, int nargs, char **args)
{
	static struct guest_mem mem;
	static struct boot_layout b;

	mem = (struct guest_mem){
		.size = 64ULL << 20, .nr_regions = 1, .region = { { 0, 64ULL << 20, NULL } },
	};
	ck_assert_int_eq(boot_layout_init(&b, &mem, nr_cpus, 0, &err), 0);
	ck_assert_int_eq(fdt_build(fdt, sizeof(fdt), &(struct machine_desc){
		.mem = &mem, .boot = &b, .image_path = "guest/hello.elf",
		.nargs = nargs, .args = args,
	}), 0);
	ck_assert_int_eq(fdt_check_header(fdt), 0);
}

static const void *prop(const char *path, const char *name, int *len)
{
	int node = fdt_path_offset(fdt, path);

	ck_assert_msg(node >= 0, "no node %s", path);
	return fdt_getprop(fdt, node, name, len);
}

START_TEST(fdt_contents)
{
	char *args[] = { "one", "two words" };
	const fdt64_t *reg;
	const fdt32_t *r32;
	uint64_t addr, size;
	int len;

	build_fdt(2, 2, args);
	ck_assert_str_eq(prop("/", "compatible", &len), "fpvm,test-machine");
	reg = prop("/memory@0", "reg", &len);
	ck_assert_int_eq(len, 16);
	ck_assert_uint_eq(fdt64_to_cpu(reg[0]), 0);
	ck_assert_uint_eq(fdt64_to_cpu(reg[1]), 64ULL << 20);
	ck_assert_str_eq(prop("/memory@0", "device_type", &len), "memory");
	for (int i = 0; i < 2; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/cpus/cpu@%d", i);
		r32 = prop(path, "reg", &len);
		ck_assert_uint_eq(fdt32_to_cpu(*r32), (unsigned int)i);
		reg = prop(path, "fpvm,boot-stack", &len);
		ck_assert_uint_eq(fdt64_to_cpu(reg[1]), FPVM_BOOT_STACK_SIZE);
	}
	ck_assert_int_lt(fdt_path_offset(fdt, "/cpus/cpu@2"), 0);
	ck_assert_int_eq(fdt_stringlist_count(fdt, fdt_path_offset(fdt, "/chosen"), "fpvm,argv"), 3);
	ck_assert_str_eq(fdt_stringlist_get(fdt, fdt_path_offset(fdt, "/chosen"), "fpvm,argv", 0,
					    NULL), "guest/hello.elf");
	ck_assert_str_eq(fdt_stringlist_get(fdt, fdt_path_offset(fdt, "/chosen"), "fpvm,argv", 2,
					    NULL), "two words");
	ck_assert_str_eq(prop("/chosen", "bootargs", &len), "one two words");
	ck_assert_int_eq(len, 14);
	ck_assert_str_eq(prop("/chosen", "stdout-path", &len), "/ioports/serial@3f8");
	ck_assert_str_eq(prop("/ioports/serial@3f8", "compatible", &len), "ns16550a");
	r32 = prop("/ioports/serial@3f8", "reg", &len);
	ck_assert_uint_eq(fdt32_to_cpu(r32[0]), 0x3f8);
	ck_assert_uint_eq(fdt32_to_cpu(r32[1]), 8);
	ck_assert_str_eq(prop("/ioports/exit@f4", "compatible", &len), "fpvm,debug-exit");
	ck_assert_int_eq(fdt_node_check_compatible(fdt, fdt_path_offset(fdt, "/ioports/exit@f4"),
						   "qemu,isa-debug-exit"), 0);
	ck_assert_ptr_nonnull(prop("/ioports/ctl@600", "reg", &len));
	/* The reserve map covers fpvm's first MiB and the boot stacks. */
	ck_assert_int_eq(fdt_num_mem_rsv(fdt), 2);
	fdt_get_mem_rsv(fdt, 0, &addr, &size);
	ck_assert_uint_eq(addr, 0);
	ck_assert_uint_eq(size, FPVM_IMAGE_BASE);
	fdt_get_mem_rsv(fdt, 1, &addr, &size);
	ck_assert_uint_eq(addr + size, 64ULL << 20);
}
END_TEST

START_TEST(fdt_no_arguments)
{
	int len;

	build_fdt(1, 0, NULL);
	ck_assert_str_eq(prop("/chosen", "bootargs", &len), "");
	ck_assert_int_eq(len, 1);
	ck_assert_int_eq(fdt_stringlist_count(fdt, fdt_path_offset(fdt, "/chosen"), "fpvm,argv"), 1);
}
END_TEST

START_TEST(fdt_too_small)
{
	struct guest_mem mem = { .size = 64ULL << 20, .nr_regions = 1,
				 .region = { { 0, 64ULL << 20, NULL } } };
	struct boot_layout b;

	ck_assert_int_eq(boot_layout_init(&b, &mem, 1, 0, &err), 0);
	ck_assert_int_eq(fdt_build(fdt, 256, &(struct machine_desc){
		.mem = &mem, .boot = &b, .image_path = "x" }), -FDT_ERR_NOSPACE);
}
END_TEST

/* ---- per-vCPU CPUID ---- */

START_TEST(cpuid_topology)
{
	struct cpuid_fixture f;
	struct kvm_cpuid2 *c;
	const struct kvm_cpuid_entry2 *e;

	ck_assert_int_eq(cpuid_fixture_load("cpuid/amd-epyc-avx512-pvm-host.txt", &f), 0);
	ck_assert_uint_gt(f.kvm->nent, 50);
	c = cpuid_for_vcpu(f.kvm, 3, 4);
	e = kvm_cpuid_find(c, 1, 0);
	ck_assert_uint_eq(e->ebx >> 24, 3);
	ck_assert_uint_eq((e->ebx >> 16) & 0xff, 4);
	ck_assert_uint_eq(e->ebx & 0xffff, 0x0800);	/* CLFLUSH size, brand: untouched */
	ck_assert_uint_eq(e->ecx >> 31, 1);
	ck_assert_uint_eq(kvm_cpuid_find(c, 0xb, 0)->edx, 3);
	/* Leaves without topology are copied verbatim. */
	ck_assert_mem_eq(kvm_cpuid_find(c, 0xd, 0), kvm_cpuid_find(f.kvm, 0xd, 0),
			 sizeof(struct kvm_cpuid_entry2));
	free(c);
	cpuid_fixture_free(&f);
}
END_TEST

/* A CPU offering every feature: what of it each XCR0 leaves a Linux guest. */
START_TEST(cpuid_hides_what_xcr0_leaves_out)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 3 * sizeof(c->entries[0]));
	const uint32_t avx512_ebx = 0xdc230000, fma_avx_f16c = (1U << 12) | (3U << 28);

	ck_assert_ptr_nonnull(c);
	c->nent = 3;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .ecx = ~0U, .edx = ~0U };
	c->entries[1] = (struct kvm_cpuid_entry2){ .function = 7, .ebx = ~0U, .ecx = ~0U,
						   .edx = ~0U };
	c->entries[2] = (struct kvm_cpuid_entry2){ .function = 7, .index = 1, .eax = ~0U };
	cpuid_hide_xcr0_features(c, 0x602e7);		/* all of them: nothing hidden */
	ck_assert_uint_eq(c->entries[0].ecx & c->entries[1].ebx & c->entries[1].ecx &
			  c->entries[1].edx & c->entries[2].eax, ~0U);
	cpuid_hide_xcr0_features(c, 0xe7);		/* no PKRU, no AMX */
	ck_assert_uint_eq(c->entries[1].ecx >> 3 & 3, 0);		/* PKU, OSPKE */
	ck_assert_uint_eq(c->entries[1].edx >> 24 & 1, 0);		/* AMX-TILE */
	ck_assert_uint_eq(c->entries[1].ebx & avx512_ebx, avx512_ebx);
	cpuid_hide_xcr0_features(c, 0x7);		/* AVX, no AVX-512 */
	ck_assert_uint_eq(c->entries[1].ebx & avx512_ebx, 0);
	ck_assert_uint_eq(c->entries[2].eax >> 5 & 1, 0);		/* AVX512_BF16 */
	ck_assert_uint_eq(c->entries[1].ebx >> 5 & 1, 1);		/* AVX2 */
	ck_assert_uint_eq(c->entries[0].ecx & fma_avx_f16c, fma_avx_f16c);
	cpuid_hide_xcr0_features(c, 0x3);		/* x87 and SSE only */
	ck_assert_uint_eq(c->entries[0].ecx & fma_avx_f16c, 0);
	ck_assert_uint_eq(c->entries[1].ebx >> 5 & 1, 0);
	ck_assert_uint_eq(c->entries[2].eax >> 4 & 1, 0);		/* AVX-VNNI */
	/* What needs no XSAVE component stays: SSE4.2, XSAVE, OSXSAVE, the EDX bits. */
	ck_assert_uint_eq(c->entries[0].ecx & (7U << 25 | 1U << 20), 7U << 25 | 1U << 20);
	ck_assert_uint_eq(c->entries[0].edx, ~0U);
	free(c);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("machine");
	TCase *boot = tcase_create("boot"), *dt = tcase_create("fdt"), *cpu = tcase_create("cpuid");

	tcase_add_test(boot, page_tables_identity_map);
	tcase_add_test(boot, high_memory_above_the_hole);
	tcase_add_test(boot, layout_rejects_too_little_memory);
	tcase_add_test(boot, entry_state);
	tcase_add_test(dt, fdt_contents);
	tcase_add_test(dt, fdt_no_arguments);
	tcase_add_test(dt, fdt_too_small);
	tcase_add_test(cpu, cpuid_topology);
	tcase_add_test(cpu, cpuid_hides_what_xcr0_leaves_out);
	suite_add_tcase(s, boot);
	suite_add_tcase(s, dt);
	suite_add_tcase(s, cpu);
	return run_suite(s);
}
