// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the guest loader (loader/: elf.c, multiboot.c for an
 * image with a Multiboot header, pvh.c for one with a PVH entry note), on an image in memory as fpvm probe and
 * leakcheck load theirs and fpvm run loads a file once read.  Each input
 * is loaded into two machines set up as vmm/vm.c sets one up: the default
 * one (64 MiB, one vCPU) and one whose RAM runs past the MMIO hole to
 * above 4 GiB, with eight boot stacks, so segments in high RAM and against
 * the stacks are both reachable.  It links the loader alone.
 *
 * Beyond crashes, it checks what the loader promises: an image it accepts
 * lies in RAM clear of fpvm's own structures, its segments do not overlap,
 * its entry point is in an executable segment (a Multiboot or PVH
 * kernel's: in any segment, below 4 GiB), and guest memory holds the
 * file's bytes; an image it rejects gets one line of input error, or for
 * a Linux kernel that RAM is too small.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../guest/abi.h"
#include "../../loader/loader.h"
#include "fuzz.h"

/* How much of a segment's .bss is checked to be zero: all of it can be GiBs. */
#define BSS_CHECK_MAX	4096

struct machine {
	uint64_t mem_size;
	unsigned int nr_cpus, nr_slots;
	struct guest_mem mem;
	struct boot_layout boot;
	struct load_limits lim;
};

static struct machine machines[] = {
	{ .mem_size = 64ULL << 20, .nr_cpus = 1, .nr_slots = 1 },	/* fpvm run's default */
	{ .mem_size = FPVM_RAM_LOW_MAX + (16ULL << 20), .nr_cpus = 4, .nr_slots = 8 },
};

#define NR_MACHINES (sizeof(machines) / sizeof(machines[0]))

static const uint8_t zero[BSS_CHECK_MAX];

static void teardown(void)
{
	for (unsigned int i = 0; i < NR_MACHINES; i++)
		munmap(machines[i].mem.host, machines[i].mem_size);
}

/*
 * Guest RAM is mapped once (MAP_NORESERVE, so 3 GiB cost nothing until
 * written), as vmm/mem.c maps it; a failure here is the machine's, not a
 * finding.
 */
static void setup(void)
{
	struct fpvm_error err = { 0 };

	for (unsigned int i = 0; i < NR_MACHINES; i++) {
		struct machine *m = &machines[i];
		void *host = mmap(NULL, m->mem_size, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (host == MAP_FAILED) {
			perror("fuzz_elf: mmap");
			exit(1);
		}
		guest_mem_layout(&m->mem, m->mem_size, host);
		if (boot_layout_init(&m->boot, &m->mem, m->nr_cpus, m->nr_slots, &err)) {
			fprintf(stderr, "fuzz_elf: %s\n", err.msg);
			exit(1);
		}
		load_limits_init(&m->lim, &m->mem, &m->boot);
	}
	atexit(teardown);
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

static uint64_t bss_checked(const struct image_segment *s)
{
	uint64_t bss = s->mem_size - s->file_size;

	return bss < BSS_CHECK_MAX ? bss : BSS_CHECK_MAX;
}

/*
 * fpvm's structures, which no segment may touch.  A Multiboot kernel gets
 * no page tables, GDT or device tree: of the first MiB only the area of
 * its information structure is fpvm's.
 */
static bool clear_of_fpvm(const struct machine *m, const struct image *img, uint64_t start,
			  uint64_t end)
{
	for (unsigned int j = 0; j < m->lim.nr_reserved; j++) {
		struct addr_range r = m->lim.reserved[j];

		if (img->kind == IMAGE_MULTIBOOT && r.start == 0 && r.end == FPVM_IMAGE_BASE)
			r = (struct addr_range){ FPVM_MB_INFO_ADDR,
						 FPVM_MB_INFO_ADDR + FPVM_MB_INFO_MAX, NULL };
		if (overlaps(start, end, r.start, r.end))
			return false;
	}
	return true;
}

static void check_image(const struct machine *m, const struct image *img,
			const uint8_t *data, size_t size)
{
	bool multiboot = img->kind == IMAGE_MULTIBOOT || img->kind == IMAGE_PVH, entry_ok = false;

	FUZZ_ASSERT(img->kind == IMAGE_ELF64 || multiboot);
	FUZZ_ASSERT(img->nr_segments >= 1 && img->nr_segments <= IMAGE_MAX_SEGMENTS);
	for (unsigned int i = 0; i < img->nr_segments; i++) {
		const struct image_segment *s = &img->seg[i];
		const uint8_t *p = guest_mem_ptr(&m->mem, s->gpa, s->mem_size);
		uint64_t end = s->gpa + s->mem_size, bss = bss_checked(s);

		FUZZ_ASSERT(s->mem_size && end > s->gpa);
		FUZZ_ASSERT(s->file_size <= s->mem_size);
		FUZZ_ASSERT(s->file_offset <= size && s->file_size <= size - s->file_offset);
		FUZZ_ASSERT(p);
		FUZZ_ASSERT(clear_of_fpvm(m, img, s->gpa, end));
		for (unsigned int j = 0; j < i; j++)
			FUZZ_ASSERT(!overlaps(s->gpa, end, img->seg[j].gpa,
					      img->seg[j].gpa + img->seg[j].mem_size));
		/* A later segment written over this one would show here. */
		FUZZ_ASSERT(!memcmp(p, data + s->file_offset, s->file_size));
		FUZZ_ASSERT(!memcmp(p + s->file_size, zero, bss));
		if ((multiboot || (s->flags & PF_X)) && img->entry >= s->gpa && img->entry < end)
			entry_ok = true;
	}
	FUZZ_ASSERT(entry_ok);
	FUZZ_ASSERT(!multiboot || img->entry <= UINT32_MAX);
}

/*
 * Gives back the pages the load wrote (and the .bss read), so that the
 * next input starts from zeroed RAM, as a new VM does, and millions of
 * inputs do not fill the 3 GiB machine.
 */
static void release(const struct machine *m, const struct image *img)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	for (unsigned int i = 0; i < img->nr_segments; i++) {
		const struct image_segment *s = &img->seg[i];
		uintptr_t start = (uintptr_t)guest_mem_ptr(&m->mem, s->gpa, s->mem_size);
		uintptr_t end = start + s->file_size + bss_checked(s);

		start &= ~(page - 1);
		end = (end + page - 1) & ~(page - 1);
		if (end > start)
			madvise((void *)start, end - start, MADV_DONTNEED);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		setup();
		ready = true;
	}
	for (unsigned int i = 0; i < NR_MACHINES; i++) {
		struct machine *m = &machines[i];
		struct fpvm_error err = { 0 };
		struct image img;

		if (image_load(data, size, "fuzz.elf", &m->mem, &m->lim, &img, &err)) {
			/* What fpvm run prints: one line, naming the image. */
			FUZZ_ASSERT(err.cls == FPVM_ERR_INPUT ||
				    (err.cls == FPVM_ERR_CONFIG &&
				     image_kind_linux(image_detect(data, size))));
			FUZZ_ASSERT(!strncmp(err.msg, "fuzz.elf: ", 10) && err.msg[10]);
			FUZZ_ASSERT(!strchr(err.msg, '\n'));
			continue;
		}
		check_image(m, &img, data, size);
		release(m, &img);
	}
	return 0;
}
