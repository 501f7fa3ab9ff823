// SPDX-License-Identifier: MIT
/*
 * bench_fpstate FPU_GUEST: what fpvm's fpstate handling costs on top of
 * KVM itself, measured as ratios within one run (absolute times on shared
 * machines are noise):
 *   - vcpu_sync_fpstate() + decode against the bare KVM_GET_XSAVE2 ioctl;
 *   - fpstate_validate_uabi() against a memcpy of the same buffer.
 * Rounds alternate the contenders; the median round counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../vcpu/vcpu.h"
#include "../cmd/cmd.h"
#include "bench.h"

#define SYNC_OPS	2000
#define VALIDATE_OPS	200000

int main(int argc, char **argv)
{
	struct vm_config cfg = {
		.nr_cpus = 1, .mem_size = 64ULL << 20, .timeout_ms = 10000,
		.serial_fd = 2, .dtb_fd = -1, .quiet = true,
	};
	double bare[ROUNDS], sync[ROUNDS], val[ROUNDS], copy[ROUNDS];
	struct fpvm_error err = { 0 };
	struct fpstate_diag diag;
	struct fpregs *regs = malloc(sizeof(*regs));
	const char *kvm_path = "/dev/kvm";
	struct guest_fpu_cfg fpu_cfg;
	struct kvm kvm;
	struct vm vm;
	struct vcpu *vcpu;
	uint8_t *buf, *dst;
	volatile uint8_t sink = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: bench_fpstate build/guest/fpu.elf\n");
		return 64;
	}
	cfg.guest_path = argv[1];
	if (!bench_kvm_usable("bench_fpstate", kvm_path))
		return BENCH_SKIP;
	/* Run the fpu guest once so every component holds real state. */
	if (guest_fpu_open(&kvm, &fpu_cfg, kvm_path, false, NULL, &err) ||
	    vm_boot(&vm, &kvm, &fpu_cfg, &cfg, &err) ||
	    !(vm.stop == VM_STOP_GUEST_EXIT && vm.stop_value == 0)) {
		fprintf(stderr, "bench_fpstate: %s\n", err.msg[0] ? err.msg : vm.reason);
		return 1;
	}
	vcpu = vm.vcpus[0];
	buf = aligned_alloc(64, vcpu->guest_fps.size);
	dst = aligned_alloc(64, vcpu->guest_fps.size);

	for (int r = 0; r < ROUNDS; r++) {
		double t = bench_now();

		for (int i = 0; i < SYNC_OPS; i++)
			ioctl(vcpu->fd, vm.fpu.has_xsave2 ? KVM_GET_XSAVE2 : KVM_GET_XSAVE, buf);
		bare[r] = (bench_now() - t) / SYNC_OPS;
		t = bench_now();
		for (int i = 0; i < SYNC_OPS; i++) {
			if (vcpu_sync_fpstate(vcpu, &err)) {
				fprintf(stderr, "bench_fpstate: %s\n", err.msg);
				return 1;
			}
			fpstate_decode(&fpu_cfg.layout, vcpu->guest_fps.xfeatures, vcpu->guest_fps.buf,
				       vcpu->guest_fps.size, regs);
		}
		sync[r] = (bench_now() - t) / SYNC_OPS;
		t = bench_now();
		for (int i = 0; i < VALIDATE_OPS; i++)
			sink ^= (uint8_t)fpstate_validate_uabi(&vcpu->guest_fps, buf,
							       vcpu->guest_fps.size, &diag);
		val[r] = (bench_now() - t) / VALIDATE_OPS;
		t = bench_now();
		for (int i = 0; i < VALIDATE_OPS; i++) {
			memcpy(dst, buf, vcpu->guest_fps.size);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		copy[r] = (bench_now() - t) / VALIDATE_OPS;
	}
	printf("fpstate benchmark: %u-byte guest buffer, XCR0 0x%llx, median of %d rounds\n",
	       vcpu->guest_fps.size, (unsigned long long)vm.fpu.xcr0, ROUNDS);
	printf("  KVM_GET_XSAVE2 (bare ioctl)        %8.2f us/op\n", bench_median(bare) * 1e6);
	printf("  vcpu_sync_fpstate() + decode       %8.2f us/op   ratio %.3f\n",
	       bench_median(sync) * 1e6, bench_median(sync) / bench_median(bare));
	printf("  fpstate_validate_uabi()            %8.1f ns/buffer  %.1f M buffers/s\n",
	       bench_median(val) * 1e9, 1e-6 / bench_median(val));
	printf("  memcpy of the buffer (baseline)    %8.1f ns/buffer  ratio validate/memcpy %.2f\n",
	       bench_median(copy) * 1e9, bench_median(val) / bench_median(copy));
	vm_destroy(&vm);
	guest_fpu_close(&kvm, &fpu_cfg);
	free(regs);
	free(buf);
	free(dst);
	return sink == 0xff;
}
