// SPDX-License-Identifier: MIT
/*
 * The device tree fpvm gives its guest (docs/guests.md).  Built
 * with libfdt's sequential-write API; a pure function of the machine.
 * vm_write_fdt() puts a VM's into its memory.
 */
#include <errno.h>
#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../guest/abi.h"
#include "dtb.h"
#include "vm.h"

#define FDT_TRY(expr)                   \
	do {                            \
		int __r = (expr);       \
		if (__r < 0)            \
			return __r;     \
	} while (0)

static int prop_u64_pair(void *fdt, const char *name, uint64_t a, uint64_t b)
{
	fdt64_t v[2] = { cpu_to_fdt64(a), cpu_to_fdt64(b) };

	return fdt_property(fdt, name, v, sizeof(v));
}

static int add_ioport_node(void *fdt, const char *name, const char *compat, size_t compat_len,
			   uint32_t port, uint32_t len)
{
	char node[32];
	fdt32_t reg[2] = { cpu_to_fdt32(port), cpu_to_fdt32(len) };

	snprintf(node, sizeof(node), "%s@%x", name, port);
	FDT_TRY(fdt_begin_node(fdt, node));
	FDT_TRY(fdt_property(fdt, "compatible", compat, (int)compat_len));
	FDT_TRY(fdt_property(fdt, "reg", reg, sizeof(reg)));
	if (!strcmp(name, "serial"))
		FDT_TRY(fdt_property_u32(fdt, "clock-frequency", 1843200));
	return fdt_end_node(fdt);
}

static int add_argv(void *fdt, const struct machine_desc *m)
{
	size_t total = strlen(m->image_path) + 1;
	char *p;
	int r;

	for (int i = 0; i < m->nargs; i++)
		total += strlen(m->args[i]) + 1;
	r = fdt_property_placeholder(fdt, "fpvm,argv", (int)total, (void **)&p);
	if (r)
		return r;
	p = stpcpy(p, m->image_path) + 1;
	for (int i = 0; i < m->nargs; i++)
		p = stpcpy(p, m->args[i]) + 1;
	return 0;
}

static int add_bootargs(void *fdt, const struct machine_desc *m)
{
	size_t total = m->nargs ? 0 : 1;	/* words, separators, one NUL */
	char *p;
	int r;

	for (int i = 0; i < m->nargs; i++)
		total += strlen(m->args[i]) + 1;
	r = fdt_property_placeholder(fdt, "bootargs", (int)total, (void **)&p);
	if (r)
		return r;
	*p = '\0';
	for (int i = 0; i < m->nargs; i++) {
		if (i)
			*p++ = ' ';
		p = stpcpy(p, m->args[i]);
	}
	return 0;
}

/* <bit offset size> for each extended component of the guest's XCR0. */
static int add_xsave_layout(void *fdt, const struct machine_desc *m)
{
	fdt32_t v[3 * 64];
	int n = 0;

	for (unsigned int bit = 2; bit < 64; bit++) {
		const struct xstate_component *c = &m->layout->comp[bit];

		if (!(m->xcr0 & (1ULL << bit)) || !c->size)
			continue;
		v[n++] = cpu_to_fdt32(bit);
		v[n++] = cpu_to_fdt32(c->offset);
		v[n++] = cpu_to_fdt32(c->size);
	}
	return fdt_property(fdt, "fpvm,xsave-layout", v, n * (int)sizeof(v[0]));
}

int fdt_build(void *buf, size_t size, const struct machine_desc *m)
{
	static const char serial_compat[] = "ns16550a";
	static const char exit_compat[] = "fpvm,debug-exit\0qemu,isa-debug-exit";
	static const char ctl_compat[] = "fpvm,ctl";
	const struct boot_layout *b = m->boot;

	FDT_TRY(fdt_create(buf, (int)size));
	FDT_TRY(fdt_add_reservemap_entry(buf, 0, FPVM_IMAGE_BASE));
	FDT_TRY(fdt_add_reservemap_entry(buf, b->stacks_base,
					 (uint64_t)b->nr_slots * FPVM_BOOT_STACK_SIZE));
	FDT_TRY(fdt_finish_reservemap(buf));

	FDT_TRY(fdt_begin_node(buf, ""));
	FDT_TRY(fdt_property_string(buf, "compatible", "fpvm,test-machine"));
	FDT_TRY(fdt_property_string(buf, "model", "fpvm"));
	FDT_TRY(fdt_property_u32(buf, "#address-cells", 2));
	FDT_TRY(fdt_property_u32(buf, "#size-cells", 2));

	FDT_TRY(fdt_begin_node(buf, "chosen"));
	if (m->layout)
		FDT_TRY(add_xsave_layout(buf, m));
	FDT_TRY(add_bootargs(buf, m));
	FDT_TRY(add_argv(buf, m));
	FDT_TRY(fdt_property_string(buf, "stdout-path", "/ioports/serial@3f8"));
	FDT_TRY(fdt_property_u64(buf, "fpvm,xcr0", m->xcr0));
	FDT_TRY(fdt_end_node(buf));

	for (unsigned int i = 0; i < m->mem->nr_regions; i++) {
		const struct mem_region *r = &m->mem->region[i];
		char node[32];

		snprintf(node, sizeof(node), "memory@%llx", (unsigned long long)r->gpa);
		FDT_TRY(fdt_begin_node(buf, node));
		FDT_TRY(fdt_property_string(buf, "device_type", "memory"));
		FDT_TRY(prop_u64_pair(buf, "reg", r->gpa, r->size));
		FDT_TRY(fdt_end_node(buf));
	}

	FDT_TRY(fdt_begin_node(buf, "cpus"));
	FDT_TRY(fdt_property_u32(buf, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(buf, "#size-cells", 0));
	for (unsigned int i = 0; i < b->nr_cpus; i++) {
		char node[32];

		snprintf(node, sizeof(node), "cpu@%x", i);
		FDT_TRY(fdt_begin_node(buf, node));
		FDT_TRY(fdt_property_string(buf, "device_type", "cpu"));
		FDT_TRY(fdt_property_u32(buf, "reg", i));
		FDT_TRY(prop_u64_pair(buf, "fpvm,boot-stack",
				      b->stacks_base + (uint64_t)i * FPVM_BOOT_STACK_SIZE,
				      FPVM_BOOT_STACK_SIZE));
		FDT_TRY(fdt_end_node(buf));
	}
	FDT_TRY(fdt_end_node(buf));

	/* x86 port I/O has no standard binding: one cell of port, one of length. */
	FDT_TRY(fdt_begin_node(buf, "ioports"));
	FDT_TRY(fdt_property_string(buf, "compatible", "fpvm,ioport-bus"));
	FDT_TRY(fdt_property_u32(buf, "#address-cells", 1));
	FDT_TRY(fdt_property_u32(buf, "#size-cells", 1));
	FDT_TRY(add_ioport_node(buf, "serial", serial_compat, sizeof(serial_compat),
				FPVM_PORT_SERIAL, 8));
	FDT_TRY(add_ioport_node(buf, "exit", exit_compat, sizeof(exit_compat),
				FPVM_PORT_DEBUG_EXIT, 4));
	FDT_TRY(add_ioport_node(buf, "ctl", ctl_compat, sizeof(ctl_compat), FPVM_PORT_CTL, 4));
	FDT_TRY(fdt_end_node(buf));

	FDT_TRY(fdt_end_node(buf));
	return fdt_finish(buf);
}

/*
 * The tree is built in a small heap buffer and copied: libfdt's
 * fdt_create() clears the whole buffer and its sequential writer puts
 * strings at the buffer's end, so building in place would fault in every
 * page of the 640 KiB window for a tree of about 2 KiB.
 */
int vm_write_fdt(struct vm *vm, struct fpvm_error *err)
{
	/* A PC platform's kernel reads its boot information and ACPI, never fpvm's tree. */
	if (image_kind_pc(vm->image.kind))
		return 0;
	void *dst = guest_mem_ptr(&vm->mem, FPVM_FDT_ADDR, FPVM_FDT_MAX);
	const struct machine_desc m = {
		.mem = &vm->mem, .boot = &vm->boot, .xcr0 = vm->fpu.xcr0,
		.layout = &vm->fpu.cfg->layout,
		.image_path = vm->cfg->guest_path,
		.nargs = vm->cfg->guest_nargs, .args = vm->cfg->guest_args,
	};
	size_t size = 8192;
	void *fdt = NULL;
	int r;

	do {
		free(fdt);
		fdt = malloc(size);
		if (!fdt)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "device tree: out of memory");
		r = fdt_build(fdt, size, &m);
		size *= 2;
	} while (r == -FDT_ERR_NOSPACE && size <= FPVM_FDT_MAX);
	if (r == -FDT_ERR_NOSPACE)
		r = fpvm_fail(err, FPVM_ERR_CONFIG, ENOSPC,
			      "device tree larger than %llu KiB: too many vCPUs or guest arguments",
			      FPVM_FDT_MAX >> 10);
	else if (r)
		r = fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "device tree: %s", fdt_strerror(r));
	else
		r = fdt_pack(fdt);
	if (!r) {
		memcpy(dst, fdt, fdt_totalsize(fdt));
		if (vm->cfg->dtb_fd >= 0) {
			ssize_t n = write(vm->cfg->dtb_fd, fdt, fdt_totalsize(fdt));

			if (n != (ssize_t)fdt_totalsize(fdt))
				r = fpvm_fail(err, FPVM_ERR_OUTPUT, n < 0 ? errno : EIO,
					      "writing the device tree: %s",
					      n < 0 ? strerror(errno) : "short write");
		}
	}
	free(fdt);
	return r;
}
