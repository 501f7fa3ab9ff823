/* SPDX-License-Identifier: MIT */
/*
 * A Multiboot v1 header and entry for fpvm's 32-bit test kernels.  With
 * MB_AOUT defined the header also carries the a.out kludge's address
 * fields (flag 16), which a loader must use instead of the ELF headers.
 */
#define MB_MAGIC	0x1badb002
#ifdef MB_AOUT
#define MB_FLAGS	((1 << 1) | (1 << 16))	/* memory info, address fields */
#else
#define MB_FLAGS	(1 << 1)
#endif

	.section .multiboot, "a"
	.align	4
mb_header:
	.long	MB_MAGIC
	.long	MB_FLAGS
	.long	-(MB_MAGIC + MB_FLAGS)
#ifdef MB_AOUT
	.long	mb_header		/* header_addr */
	.long	__load_start		/* load_addr */
	.long	__load_end		/* load_end_addr */
	.long	__bss_end		/* bss_end_addr */
	.long	_start			/* entry_addr */
#endif

	.text
	.code32
	.globl	_start
_start:
	mov	$stack_top, %esp
	push	%ebx			/* the Multiboot information */
	push	%eax			/* the boot loader's magic */
	call	mb32_main
1:	hlt
	jmp	1b

	.bss
	.align	16
	.space	8192
stack_top:
