// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the Linux boot protocol loader (loader/linux.c) on a
 * bzImage in memory.  Each input is laid out for three machines: fpvm's
 * default 64 MiB without an initrd; 256 MiB with a 200 MiB initrd, which
 * only a kernel with a small init_size leaves room for; and 4 GiB (RAM past
 * the MMIO hole) with a 3 MiB initrd and a 300-byte command line.
 *
 * Beyond crashes, it checks what the loader promises: an image it accepts
 * is a bzImage whose kernel lies inside the input, every piece lies in low
 * RAM clear of the legacy area and of every other piece, the kernel at or
 * above 1 MiB with room for init_size, the initrd page-aligned above it and
 * at most at initrd_addr_max, entry at the kernel's + 0x200, a zero page
 * whose sentinel is 0; an image it rejects gets one line, an input error
 * or RAM too small.
 */
#include <string.h>

#include "../../loader/linux.h"
#include "fuzz.h"

#define MiB	(1ULL << 20)

static void check_accepted(const uint8_t *data, size_t size, const struct linux_params *p,
			   const struct linux_boot *b)
{
	FUZZ_ASSERT(linux_detect(data, size));
	FUZZ_ASSERT(b->nr_pieces <= LINUX_MAX_PIECES);
	FUZZ_ASSERT(b->kernel_addr >= MiB && b->kernel_end <= p->ram.low_size);
	FUZZ_ASSERT(b->kernel_end - b->kernel_addr >= b->img.kernel_size);
	FUZZ_ASSERT(b->img.kernel_offset + b->img.kernel_size <= size);
	FUZZ_ASSERT(b->entry.rip == b->kernel_addr + 0x200);
	FUZZ_ASSERT(b->zero_page[0x1ef] == 0);
	FUZZ_ASSERT(b->zero_page[0x1e8] == (p->ram.high_size ? 4 : 3));
	if (p->initrd) {
		FUZZ_ASSERT(!(b->initrd_addr & 0xfff));
		FUZZ_ASSERT(b->initrd_addr >= b->kernel_end);
		FUZZ_ASSERT(b->initrd_addr + p->initrd_size - 1 <= b->img.initrd_addr_max);
	}
	for (unsigned int i = 0; i < b->nr_pieces; i++) {
		const struct linux_piece *a = &b->piece[i];

		FUZZ_ASSERT(a->gpa + a->len <= p->ram.low_size);
		FUZZ_ASSERT(a->gpa + a->len <= 0x9fc00 || a->gpa >= MiB);
		for (unsigned int j = 0; j < i; j++)
			FUZZ_ASSERT(a->gpa >= b->piece[j].gpa + b->piece[j].len ||
				    b->piece[j].gpa >= a->gpa + a->len);
	}
	FUZZ_ASSERT((const uint8_t *)b->piece[0].data >= data &&
		    (const uint8_t *)b->piece[0].data + b->piece[0].len <= data + size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t initrd[1];	/* the loader never reads the initrd */
	static struct linux_boot b;
	static char line[301];
	const struct linux_params machines[] = {
		{ .ram = { .low_size = 64 * MiB }, .cmdline = "console=ttyS0" },
		{ .ram = { .low_size = 256 * MiB }, .cmdline = "", .initrd = initrd,
		  .initrd_size = 200 * MiB, .acpi_rsdp = 0xe0000 },
		{ .ram = { .low_size = 3072 * MiB, .high_base = 1ULL << 32, .high_size = 1024 * MiB },
		  .cmdline = line, .initrd = initrd, .initrd_size = 3 * MiB + 1 },
	};

	memset(line, 'x', sizeof(line) - 1);
	for (size_t m = 0; m < sizeof(machines) / sizeof(machines[0]); m++) {
		struct fpvm_error err = { 0 };
		int r = linux_prepare(data, size, &machines[m], &b, &err);

		if (!r) {
			check_accepted(data, size, &machines[m], &b);
			continue;
		}
		FUZZ_ASSERT(r < 0);
		FUZZ_ASSERT(err.cls == FPVM_ERR_INPUT ||
			    (err.cls == FPVM_ERR_CONFIG && err.item == CFG_MEM));
		FUZZ_ASSERT(err.msg[0] && !strchr(err.msg, '\n') && !strstr(err.msg, "--"));
	}
	return 0;
}
