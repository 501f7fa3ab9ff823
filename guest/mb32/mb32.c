// SPDX-License-Identifier: MIT
/*
 * A 32-bit Multiboot v1 test kernel: checks the machine state the
 * specification promises at entry and the information structure fpvm
 * hands over, prints what it found on the serial port, and exits through
 * the debug-exit port with 0 when every check held.  With an argument
 * "skip" it exits with 38, the value by which kvm-unit-tests' tests report
 * that they skipped (77 through QEMU's isa-debug-exit mapping).
 */
#include "mb32.h"

#define MB_BOOTLOADER_MAGIC	0x2badb002u

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
};

void mb32_main(uint32_t magic, const struct mb_info *info);

void mb32_main(uint32_t magic, const struct mb_info *info)
{
	uint32_t cr0, ram = 0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	check(magic == MB_BOOTLOADER_MAGIC, "EAX holds the boot loader magic 0x2badb002");
	check((cr0 & 1) && !(cr0 & 0x80000000), "protected mode, paging off");
	check(info->flags & (1 << 0), "flags: mem_lower and mem_upper");
	check(info->mem_lower == 639, "mem_lower is 639 KiB");
	check(info->flags & (1 << 6), "flags: a memory map");
	for (uint32_t off = 0; off < info->mmap_length;) {
		const uint8_t *e = (const uint8_t *)(info->mmap_addr + off);
		uint32_t size = *(const uint32_t *)e, type = *(const uint32_t *)(e + 20);
		uint32_t len = *(const uint32_t *)(e + 12);

		if (type == 1)
			ram += len >> 10;
		off += size + 4;
	}
	puts_("memory map RAM KiB: ");
	put_hex(ram);
	puts_(", mem_upper KiB: ");
	put_hex(info->mem_upper);
	puts_("\n");
	check(ram >= info->mem_upper + 639, "the memory map holds at least mem_lower + mem_upper");
	check(info->flags & (1 << 2), "flags: a command line");
	if (info->flags & (1 << 2)) {
		puts_("cmdline: ");
		puts_((const char *)info->cmdline);
		puts_("\n");
	}
	check((info->flags & (1 << 9)) && ((const char *)info->boot_loader_name)[0] == 'f',
	      "boot loader name");
	if (info->flags & (1 << 3)) {
		const uint32_t *mod = (const uint32_t *)info->mods_addr;

		for (uint32_t i = 0; i < info->mods_count; i++, mod += 4) {
			const char *data = (const char *)mod[0];
			char first[17];
			uint32_t n = mod[1] - mod[0] < 16 ? mod[1] - mod[0] : 16;

			for (uint32_t j = 0; j < n; j++)
				first[j] = data[j] >= ' ' && data[j] < 127 ? data[j] : '.';
			first[n] = '\0';
			puts_("module ");
			put_hex(i);
			puts_(": '");
			puts_((const char *)mod[2]);
			puts_("' at ");
			put_hex(mod[0]);
			puts_(", ");
			put_hex(mod[1] - mod[0]);
			puts_(" bytes: ");
			puts_(first);
			puts_("\n");
			check(!(mod[0] & 0xfff), "module page-aligned");
		}
	}
	if (info->flags & (1 << 2)) {
		const char *c = (const char *)info->cmdline;

		for (; *c; c++)
			if (c[0] == ' ' && c[1] == 's' && c[2] == 'k' && c[3] == 'i' && c[4] == 'p')
				outb(PORT_EXIT, 38);
	}
	outb(PORT_EXIT, failures ? 1 : 0);
	for (;;)
		__asm__ volatile("hlt");
}
