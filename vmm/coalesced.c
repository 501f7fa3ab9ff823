// SPDX-License-Identifier: MIT
/*
 * Coalesced PIO for the UART's THR (coalesced.h).  kvm-unit-tests and
 * fpvm's guest runtime poll LSR before every byte or FIFO load, so a line
 * cost two exits a character; with THR's writes queued by KVM it costs
 * one, the LSR read, which takes the bytes queued before it.
 *
 * Why it is exact: the ring is the VM's one page that KVM fills in the
 * order of the writes (virt/kvm/coalesced_mmio.c), and the vCPU's exit
 * drains it before that exit is handled, so the UART sees every write in
 * guest order before any access that could observe it.  The zone exists
 * only while serial8250_thr_write_is_quiet(): once the guest enables the
 * THRE interrupt or loopback (a register write, which exits), the zone is
 * removed for good and each THR write exits again.  When the ring is full
 * KVM exits with the write itself, after the ones queued; a rep outsb is
 * emulated an element at a time (em_out()), so its next element exits and
 * the instruction resumes: nothing is lost.  Only a VM of one vCPU uses it:
 * the ring does not say which vCPU wrote, and with one vCPU no other
 * thread waits on a drain that a slow reader of stdout holds up.
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
 * it in the ring: every COALESCED_KICK_MS the main thread sends the vCPU
 * this signal while writes wait, which ends its KVM_RUN (KVM returns
 * -EINTR for any pending signal) and so drains the ring.  Unlike the stop
 * kick it is SA_RESTART and sets no immediate_exit: a vCPU thread blocked
 * writing a line to a slow reader goes on writing, and a signal taken just
 * before KVM_RUN only delays the drain to the next period.
 */
#define SIG_RING_KICK	(SIGRTMIN + 1)

/* KVM_COALESCED_MMIO_MAX for x86's 4 KiB pages; one entry stays free. */
#define RING_PAGE_SIZE	4096
#define RING_ENTRIES	((RING_PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / \
			 sizeof(struct kvm_coalesced_mmio))

static struct kvm_coalesced_mmio_ring *ring_of(const struct vm *vm)
{
	return __atomic_load_n(&vm->coalesced, __ATOMIC_ACQUIRE);
}

static void ring_kick_handler(int sig)
{
	(void)sig;
}

void vm_coalesced_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = ring_kick_handler, .sa_flags = SA_RESTART };

	if (!vm->kvm->has_coalesced_pio || vm->nr_vcpus != 1 || vm->cfg->max_cpus > 1 ||
	    !vm->vcpus[0]->run)
		return;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIG_RING_KICK, &sa, NULL))
		return;
	/* Every vCPU maps the same page: the VM's ring. */
	__atomic_store_n(&vm->coalesced, (void *)((char *)vm->vcpus[0]->run +
				KVM_COALESCED_MMIO_PAGE_OFFSET * RING_PAGE_SIZE), __ATOMIC_RELEASE);
	vm_coalesced_update(vm);
}

void vm_coalesced_update(struct vm *vm)
{
	bool want;
	int r;

	if (!ring_of(vm))
		return;
	pthread_mutex_lock(&vm->coalesced_lock);
	want = !vm->coalesced_retired && serial8250_thr_write_is_quiet(vm->serial);
	if (ring_of(vm) && want != vm->coalesced_on) {
		r = kvm_vm_coalesce_pio(vm->kvm, vm->fd, FPVM_PORT_SERIAL, 1, want);
		if (!r) {
			__atomic_store_n(&vm->coalesced_on, want, __ATOMIC_RELAXED);
			/*
			 * Once for good: a guest that enables the THRE interrupt
			 * or loopback drives the UART itself (Linux's 8250 driver
			 * turns THRI off and on around every console line), and
			 * each zone change costs KVM an I/O bus copy and an SRCU
			 * grace period (kvm_io_bus_register_dev()).  The ring is
			 * still drained: writes queued before this stay in order.
			 */
			vm->coalesced_retired = !want;
		} else if (want) {
			/* Never registered, so nothing queued: THR writes exit as before. */
			__atomic_store_n(&vm->coalesced, NULL, __ATOMIC_RELEASE);
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

bool vm_coalesced_pending(const struct vm *vm)
{
	const struct kvm_coalesced_mmio_ring *ring = ring_of(vm);

	return ring && __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE) !=
		       __atomic_load_n(&ring->first, __ATOMIC_ACQUIRE);
}

bool vm_coalesced_active(const struct vm *vm)
{
	return __atomic_load_n(&vm->coalesced_on, __ATOMIC_RELAXED) || vm_coalesced_pending(vm);
}

void vm_coalesced_kick(struct vm *vm)
{
	struct vcpu *vcpu = vm->nr_vcpus ? vm->vcpus[0] : NULL;
	uint64_t now;

	if (!vcpu || !vcpu->started || !vm_coalesced_pending(vm))
		return;
	/* The main thread also wakes for other reasons (leakcheck's tick): one kick a period. */
	now = vm_now_ns();
	if (now < vm->coalesced_next_kick_ns)
		return;
	vm->coalesced_next_kick_ns = now + COALESCED_KICK_MS * 1000000ULL;
	pthread_kill(vcpu->thread, SIG_RING_KICK);
}

void vm_coalesced_drain(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = ring_of(vm);
	uint32_t last;

	if (!vm_coalesced_pending(vm))
		return;
	pthread_mutex_lock(&vm->coalesced_lock);
	/* KVM writes an entry, then moves last (smp_wmb()); first is ours. */
	while (ring->first != (last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE))) {
		uint32_t i = ring->first;
		struct kvm_coalesced_mmio e;

		if (i >= RING_ENTRIES || last >= RING_ENTRIES) {
			/* Only KVM and fpvm write the page: one of them is broken. */
			__atomic_store_n(&vm->coalesced, NULL, __ATOMIC_RELEASE);
			vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0,
					"coalesced PIO ring: index %u or %u outside its %zu entries",
					i, last, (size_t)RING_ENTRIES);
			break;
		}
		e = ring->coalesced_mmio[i];
		if (e.len <= sizeof(e.data))
			bus_access(&vm->pio, 0, e.phys_addr, e.data, e.len, true);
		vm->stats.coalesced_writes++;
		__atomic_store_n(&ring->first, (i + 1) % RING_ENTRIES, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&vm->coalesced_lock);
}
