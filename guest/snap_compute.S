/* SPDX-License-Identifier: MIT */
/*
 * snap_compute(struct snap_ctx *): loads the vector, x87 and opmask
 * registers from the context, computes with them for ctx->iters rounds,
 * every round depending on the last, and calls ctx->mid_fn with every
 * register live at round ctx->mid; then stores them back (snap.c: layout).
 * mid_fn is C built with -mgeneral-regs-only: it leaves these registers be.
 */
#define LEVEL	0
#define ITERS	8
#define MID	16
#define MIDFN	24
#define VEC	64
#define ST	2112
#define K	2176
#define FX	2240

	.text
	.globl	snap_compute
snap_compute:
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rdi, %r12
	mov	LEVEL(%r12), %rbx
	xor	%r13, %r13
	mov	ITERS(%r12), %r14
	mov	MID(%r12), %r15
	fninit
	.irp	i, 0,1,2,3,4,5,6,7
	fildq	ST+8*\i(%r12)
	.endr
	cmp	$1, %rbx
	jae	1f
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	movdqu	VEC+64*\i(%r12), %xmm\i
	.endr
	jmp	.Lloop
1:	cmp	$2, %rbx
	jae	2f
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	VEC+64*\i(%r12), %ymm\i
	.endr
	jmp	.Lloop
2:	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 VEC+64*\i(%r12), %zmm\i
	.endr
	.irp	i, 0,1,2,3,4,5,6,7
	kmovw	K+8*\i(%r12), %k\i
	.endr

.Lloop:
	cmp	%r15, %r13
	jne	3f
	call	*MIDFN(%r12)	/* the stack is 16-byte aligned here: 5 pushes + return address */
3:	/* x87: the stack stays full, values depend on the round before */
	fadd	%st(1), %st
	fxch	%st(3)
	fsub	%st(2), %st
	fxch	%st(7)
	cmp	$1, %rbx
	jae	4f
	paddq	%xmm0, %xmm1
	paddq	%xmm1, %xmm2
	paddq	%xmm2, %xmm3
	paddq	%xmm3, %xmm4
	paddq	%xmm4, %xmm5
	paddq	%xmm5, %xmm6
	paddq	%xmm6, %xmm7
	paddq	%xmm7, %xmm8
	paddq	%xmm8, %xmm9
	paddq	%xmm9, %xmm10
	paddq	%xmm10, %xmm11
	paddq	%xmm11, %xmm12
	paddq	%xmm12, %xmm13
	paddq	%xmm13, %xmm14
	paddq	%xmm14, %xmm15
	pshufd	$0x4e, %xmm15, %xmm15
	pxor	%xmm15, %xmm0
	jmp	.Lnext
4:	vpaddq	%ymm0, %ymm1, %ymm1
	vpaddq	%ymm1, %ymm2, %ymm2
	vpaddq	%ymm2, %ymm3, %ymm3
	vpaddq	%ymm3, %ymm4, %ymm4
	vpaddq	%ymm4, %ymm5, %ymm5
	vpaddq	%ymm5, %ymm6, %ymm6
	vpaddq	%ymm6, %ymm7, %ymm7
	vpaddq	%ymm7, %ymm8, %ymm8
	vpaddq	%ymm8, %ymm9, %ymm9
	vpaddq	%ymm9, %ymm10, %ymm10
	vpaddq	%ymm10, %ymm11, %ymm11
	vpaddq	%ymm11, %ymm12, %ymm12
	vpaddq	%ymm12, %ymm13, %ymm13
	vpaddq	%ymm13, %ymm14, %ymm14
	vpaddq	%ymm14, %ymm15, %ymm15
	vpermq	$0x93, %ymm15, %ymm15
	vpxor	%ymm15, %ymm0, %ymm0
	cmp	$2, %rbx
	jb	.Lnext
	vpaddq	%zmm16, %zmm17, %zmm17
	vpaddq	%zmm17, %zmm18, %zmm18
	vpaddq	%zmm18, %zmm19, %zmm19
	vpaddq	%zmm19, %zmm20, %zmm20
	vpaddq	%zmm20, %zmm21, %zmm21
	vpaddq	%zmm21, %zmm22, %zmm22
	vpaddq	%zmm22, %zmm23, %zmm23
	vpaddq	%zmm23, %zmm24, %zmm24
	vpaddq	%zmm24, %zmm25, %zmm25
	vpaddq	%zmm25, %zmm26, %zmm26
	vpaddq	%zmm26, %zmm27, %zmm27
	vpaddq	%zmm27, %zmm28, %zmm28
	vpaddq	%zmm28, %zmm29, %zmm29
	vpaddq	%zmm29, %zmm30, %zmm30
	vpaddq	%zmm30, %zmm31, %zmm31
	vshufi64x2 $0x39, %zmm31, %zmm31, %zmm31
	vpxorq	%zmm31, %zmm16, %zmm16
	vpaddq	%zmm16, %zmm0, %zmm0
	.irp	i, 1,2,3,4,5,6,7
	kxorw	%k\i, %k0, %k0
	kshiftlw $1, %k\i, %k\i
	kxnorw	%k0, %k\i, %k\i
	.endr
.Lnext:
	inc	%r13
	cmp	%r14, %r13
	jb	.Lloop

	fxsave	FX(%r12)
	cmp	$1, %rbx
	jb	6f
	jne	5f
	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
	vmovdqu	%ymm\i, VEC+64*\i(%r12)
	.endr
	jmp	6f
5:	.irp	i, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	vmovdqu64 %zmm\i, VEC+64*\i(%r12)
	.endr
	.irp	i, 0,1,2,3,4,5,6,7
	kmovw	%k\i, K+8*\i(%r12)
	.endr
6:	fninit
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	ret
