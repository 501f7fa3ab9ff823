// SPDX-License-Identifier: MIT
/*
 * Where any image's segments may go: in RAM, clear of fpvm's own
 * structures (the boot area of the first MiB, the vCPU boot stacks) and of
 * each other.  Every format checks its segments here, so the rule is one.
 */
#include "../guest/abi.h"
#include "format.h"

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

bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

int segment_check(const struct image_segment *s, unsigned int n,
		  const struct image_segment *earlier, unsigned int nr_earlier,
		  const struct load_limits *lim, struct fpvm_error *err)
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
	for (unsigned int j = 0; j < nr_earlier; j++)
		if (ranges_overlap(s->gpa, end, earlier[j].gpa, earlier[j].gpa + earlier[j].mem_size))
			return BAD(err, "segment %u overlaps an earlier segment", n);
	return 0;
}
