/* SPDX-License-Identifier: MIT */
/*
 * The least a test guest can do: three serial bytes, then exit status 0.
 * No runtime, no stack use; the startup benchmark (bench/) runs it under
 * fpvm and under a raw KVM program, so the difference is fpvm's own cost.
 */
	.section .text.entry, "ax"
	.globl	_start
	.code64
_start:
	mov	$0x3f8, %dx
	mov	$'o', %al
	out	%al, %dx
	mov	$'k', %al
	out	%al, %dx
	mov	$'\n', %al
	out	%al, %dx
	mov	$0xf4, %dx
	xor	%eax, %eax
	out	%al, %dx
1:	hlt
	jmp	1b
