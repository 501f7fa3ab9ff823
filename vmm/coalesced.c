// SPDX-License-Identifier: MIT
/*
 * Coalesced PIO for the UART's THR (coalesced.h).  kvm-unit-tests and
 * fpvm's guest runtime poll LSR before every byte or FIFO load, so a line
 * cost two exits a character; with THR's writes queued by KVM it costs
 * one, the LSR read, which takes the bytes queued before it.
 *
 * Why it is exact: the ring is the VM's one page that KVM fills in the
 * order of the writes (virt/kvm/coalesced_mmio.c), and any vCPU's exit
 * drains it before that exit is handled, so the UART sees every write in
 * guest order before any access that could observe it.  The zone exists
 * only while serial8250_thr_write_is_quiet(): once the guest enables the
 * THRE interrupt or loopback (a register write, which exits), the zone is
 * removed and each THR write exits again.  When the ring is full KVM
 * exits with the write itself, after the ones queued.  One loss is the
 * hardware's too: a string OUT that fills the ring halfway has its rest
 * dropped by KVM (arch/x86/kvm/x86.c, emulator_pio_in_out()), as a 16550
 * drops what is written to a full FIFO; the ring holds 170 bytes, the
 * FIFO 16.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <string.h>

#include "../guest/abi.h"
#include "../vcpu/vcpu.h"
#include "coalesced.h"
#include "vm.h"

/*
 * A guest that writes a line and then computes without exits would keep
 * it in the ring: every COALESCED_KICK_MS the main thread sends a vCPU
 * with queued writes this signal, which ends its KVM_RUN (KVM returns
 * -EINTR for any pending signal) and so drains the ring.  Unlike the stop
 * kick it is SA_RESTART and sets no immediate_exit: a vCPU thread blocked
 * writing a line to a slow reader goes on writing, and a signal taken
 * just before KVM_RUN only delays the drain to the next period.
 */
#define SIG_RING_KICK	(SIGRTMIN + 1)

#define RING_PAGE_SIZE	4096
#define RING_ENTRIES	((RING_PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / \
			 sizeof(struct kvm_coalesced_mmio))

static void ring_kick_handler(int sig)
{
	(void)sig;
}

void vm_coalesced_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = ring_kick_handler, .sa_flags = SA_RESTART };

	if (!vm->kvm->has_coalesced_pio || !vm->nr_vcpus || !vm->vcpus[0]->run)
		return;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_RING_KICK, &sa, NULL))
		return;
	/* Every vCPU maps the same page: the VM's ring. */
	vm->coalesced = (void *)((char *)vm->vcpus[0]->run +
				 KVM_COALESCED_MMIO_PAGE_OFFSET * RING_PAGE_SIZE);
	vm_coalesced_update(vm);
}

void vm_coalesced_update(struct vm *vm)
{
	bool want;
	int r;

	if (!vm->coalesced)
		return;
	pthread_mutex_lock(&vm->coalesced_lock);
	want = serial8250_thr_write_is_quiet(vm->serial);
	if (want != vm->coalesced_on) {
		r = kvm_vm_coalesce_pio(vm->kvm, vm->fd, FPVM_PORT_SERIAL, 1, want);
		if (!r) {
			vm->coalesced_on = want;
		} else if (want) {
			/* Only a speed-up is lost: THR writes exit as before. */
			vm->coalesced = NULL;
			if (vm->cfg->verbose)
				vm_report(vm, "fpvm: KVM_REGISTER_COALESCED_MMIO (serial THR): %s; "
					  "each byte exits\n", strerror(-r));
		} else {
			/* THR writes would go on without their interrupt: the guest cannot go on. */
			vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0,
					"KVM_UNREGISTER_COALESCED_MMIO (serial THR): %s",
					strerror(-r));
		}
	}
	pthread_mutex_unlock(&vm->coalesced_lock);
}

void vm_coalesced_kick(struct vm *vm)
{
	if (!vm_coalesced_pending(vm))
		return;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->started)
			pthread_kill(vm->vcpus[i]->thread, SIG_RING_KICK);
}

bool vm_coalesced_pending(const struct vm *vm)
{
	const struct kvm_coalesced_mmio_ring *ring = vm->coalesced;

	return ring && __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE) !=
		       __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
}

void vm_coalesced_drain(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = vm->coalesced;

	if (!vm_coalesced_pending(vm))
		return;
	pthread_mutex_lock(&vm->coalesced_lock);
	/* KVM publishes an entry, then moves last (release); first is ours. */
	while (ring->first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		uint32_t i = ring->first;
		struct kvm_coalesced_mmio e;

		if (i >= RING_ENTRIES)
			break;	/* not KVM's: the page is ours to read, not to trust */
		e = ring->coalesced_mmio[i];
		if (e.len <= sizeof(e.data))
			bus_access(&vm->pio, 0, e.phys_addr, e.data, e.len, true);
		vm->stats.coalesced_writes++;
		__atomic_store_n(&ring->first, (i + 1) % RING_ENTRIES, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->coalesced_lock);
}
