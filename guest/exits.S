/* SPDX-License-Identifier: MIT */
/*
 * The exit benchmark's guest (bench/bench_exits.c): EXITS writes to the
 * serial port's scratch register (a port I/O exit to a device fpvm has),
 * or with -DMMIO to an address in the MMIO hole that no device claims (an
 * MMIO exit), then exit status 0.  Like min.S, no runtime and no stack,
 * so fpvm and the raw KVM loop (bench/kvm_floor.c) run it alike; the
 * difference from min.elf, over EXITS, is one exit's round trip.
 */
#define EXITS		5000
#define SCRATCH_PORT	0x3ff		/* COM1 + 7 */
#define MMIO_ADDR	0x20000000	/* 512 MiB: identity-mapped, no RAM, no device */

	.section .text.entry, "ax"
	.globl	_start
	.code64
_start:
	mov	$EXITS, %ecx
	xor	%eax, %eax
#ifdef MMIO
	mov	$MMIO_ADDR, %edi
1:	movb	%al, (%rdi)
#else
	mov	$SCRATCH_PORT, %dx
1:	out	%al, %dx
#endif
	dec	%ecx
	jnz	1b
	mov	$0xf4, %dx
	xor	%eax, %eax
	out	%al, %dx
2:	hlt
	jmp	2b
