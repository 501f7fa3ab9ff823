// SPDX-License-Identifier: MIT
/*
 * What a PC BIOS leaves behind for a Multiboot kernel, so that kernels
 * which drop back to real mode (kvm-unit-tests' realmode) find the machine
 * as under QEMU and SeaBIOS: a real-mode interrupt vector table whose
 * entries return (and acknowledge the PIC for hardware interrupts), the
 * 8259s initialised with SeaBIOS's vectors (IRQ 0-7 at 0x08, IRQ 8-15 at
 * 0x70) and masks (only the timer and the cascade open), and PIT channel 0
 * ticking at 18.2 Hz (mode 2, count 65536), SeaBIOS's timer.  Protected-mode
 * kernels mask or reprogram the PIC before they enable interrupts, as they
 * must on any PC.
 */
#include <errno.h>
#include <string.h>

#include "pc.h"
#include "vm.h"

#define IVT_ENTRIES	256
#define BIOS_STUBS	0x9fc00u	/* the EBDA: reserved in fpvm's Multiboot memory map */
#define PIC_MASTER_BASE	0x08
#define PIC_SLAVE_BASE	0x70

/* Real-mode stubs: IRET; EOI to the master, IRET; EOI to both, IRET. */
static const uint8_t stub_iret[] = { 0xcf };
static const uint8_t stub_eoi_master[] = {
	0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58, 0xcf,	/* push ax; mov al,0x20; out 0x20,al; pop ax; iret */
};
static const uint8_t stub_eoi_both[] = {
	0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58, 0xcf,	/* ... out 0xa0,al; out 0x20,al ... */
};
#define STUB_IRET	0x00
#define STUB_MASTER	0x10
#define STUB_BOTH	0x20

static int write_ivt(struct vm *vm, struct fpvm_error *err)
{
	uint32_t *ivt = guest_mem_ptr(&vm->mem, 0, IVT_ENTRIES * 4);
	uint8_t *stubs = guest_mem_ptr(&vm->mem, BIOS_STUBS, 0x40);

	if (!ivt || !stubs)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, EINVAL, "no RAM for the real-mode vectors");
	memcpy(stubs + STUB_IRET, stub_iret, sizeof(stub_iret));
	memcpy(stubs + STUB_MASTER, stub_eoi_master, sizeof(stub_eoi_master));
	memcpy(stubs + STUB_BOTH, stub_eoi_both, sizeof(stub_eoi_both));
	for (unsigned int v = 0; v < IVT_ENTRIES; v++) {
		uint16_t off = STUB_IRET;

		if (v >= PIC_MASTER_BASE && v < PIC_MASTER_BASE + 8)
			off = STUB_MASTER;
		else if (v >= PIC_SLAVE_BASE && v < PIC_SLAVE_BASE + 8)
			off = STUB_BOTH;
		ivt[v] = (BIOS_STUBS >> 4) << 16 | off;	/* segment:offset */
	}
	return 0;
}

/* The 8259s as SeaBIOS's pic_reset() and timer set-up leave them. */
static int setup_pic(struct vm *vm, struct fpvm_error *err)
{
	struct kvm_irqchip chip[2] = {
		{ .chip_id = KVM_IRQCHIP_PIC_MASTER }, { .chip_id = KVM_IRQCHIP_PIC_SLAVE },
	};

	for (int i = 0; i < 2; i++) {
		struct kvm_pic_state *p = &chip[i].chip.pic;
		int r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_GET_IRQCHIP, &chip[i]);

		if (r < 0)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "KVM_GET_IRQCHIP: %s", strerror(-r));
		p->irq_base = i ? PIC_SLAVE_BASE : PIC_MASTER_BASE;
		p->imr = i ? 0xff : (uint8_t)~((1u << 0) | (1u << 2));	/* timer, cascade */
		p->init_state = 0;
		p->init4 = 1;		/* ICW4: 8086 mode */
		r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_IRQCHIP, &chip[i]);
		if (r < 0)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "KVM_SET_IRQCHIP: %s", strerror(-r));
	}
	return 0;
}

static int setup_pit(struct vm *vm, struct fpvm_error *err)
{
	struct kvm_pit_state2 pit;
	int r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_GET_PIT2, &pit);

	if (r < 0)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "KVM_GET_PIT2: %s", strerror(-r));
	/* Channel 0, rate generator, count 0 (65536): KVM loads it on set (kvm_pit_load_count()). */
	pit.channels[0].mode = 2;
	pit.channels[0].count = 0;
	pit.channels[0].rw_mode = 3;	/* LSB then MSB */
	pit.channels[0].read_state = 3;
	pit.channels[0].write_state = 3;
	pit.channels[0].gate = 1;
	r = kvm_fd_ioctl(vm->kvm, vm->fd, KVM_SET_PIT2, &pit);
	return r < 0 ? fpvm_fail(err, FPVM_ERR_SYSTEM, -r, "KVM_SET_PIT2: %s", strerror(-r)) : 0;
}

int pc_bios_setup(struct vm *vm, struct fpvm_error *err)
{
	return write_ivt(vm, err) ?: setup_pic(vm, err) ?: setup_pit(vm, err);
}
