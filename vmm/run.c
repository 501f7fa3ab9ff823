// SPDX-License-Identifier: MIT
/*
 * The main thread while a VM runs (run.h).  Once every vCPU thread exists
 * it only waits, reports and tears down: with SECCOMP_ALL its own
 * allow-list says so.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "coalesced.h"
#include "pause.h"
#include "pc.h"
#include "run.h"
#include "vcpu_thread.h"
#include "vm.h"
#include "vm_snapshot.h"

#define SYSFAIL(err, what) \
	fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "%s: %s", what, strerror(errno))

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Every vCPU paused, the snapshot written, then on: the guest goes on
 * running, and a restored copy starts from this point.  A snapshot that
 * cannot be written ends the VM: it was asked for, and silence would lie.
 */
static void take_snapshot(struct vm *vm, const char *reason)
{
	struct fpvm_error err = { 0 };

	vm_pause_vcpus(vm);
	if (!vm_stopping(vm) && vm_snapshot_save(vm, reason, &err))
		vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "%s", err.msg);
	atomic_store(&vm->snapshot_requested, false);
	vm_resume_vcpus(vm);
}

/*
 * With the LAPICs in KVM a vCPU's HLT does not exit (vm.c): every
 * HALT_PROBE_MS each vCPU is kicked, and one that halted for good ends on
 * the kick's return (vcpu_thread.c).  A guest that runs pays one exit a
 * vCPU that often; a halt is seen within that time, not at once.
 */
#define HALT_PROBE_MS	100

static void probe_halts(struct vm *vm, int64_t *next)
{
	int64_t now = now_ms();

	if (!vm->lapic || vm_stopping(vm) || now < *next)
		return;
	*next = now + HALT_PROBE_MS;
	pthread_mutex_lock(&vm->lock);
	vm_kick_vcpus(vm);
	pthread_mutex_unlock(&vm->lock);
}

/* @wait_ms (-1: no limit) cut to at most @ms. */
static int at_most(int wait_ms, int ms)
{
	return wait_ms < 0 || wait_ms > ms ? ms : wait_ms;
}

/* Waits for the VM to end, a timeout, SIGINT/SIGTERM, or a snapshot's turn (SIGUSR1). */
static void vm_wait(struct vm *vm, int sig_fd)
{
	int64_t deadline = vm->cfg->timeout_ms ? now_ms() + (int64_t)vm->cfg->timeout_ms : -1;
	int64_t next_probe = now_ms() + HALT_PROBE_MS;

	while (!vm_stopping(vm)) {
		struct pollfd pfd[2] = {
			{ .fd = vm->done_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
		};
		int wait = deadline < 0 ? -1 : (int)(deadline - now_ms());

		if (vm->ops && vm->ops->tick)
			wait = at_most(wait, (int)vm->ops->tick_ms);
		if (vm_coalesced_active(vm))
			wait = at_most(wait, COALESCED_KICK_MS);
		if (vm->lapic)
			wait = at_most(wait, HALT_PROBE_MS);
		wait = pc_s3_timeout(vm, wait);
		if (deadline >= 0 && deadline - now_ms() <= 0) {
			vm_request_stop(vm, VM_STOP_TIMEOUT, 0, STOP_DUMP_REGS, "timeout after %g s",
					(double)vm->cfg->timeout_ms / 1000.0);
			break;
		}
		if (poll(pfd, 2, wait) < 0 && errno != EINTR) {
			vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0, "poll: %s",
					strerror(errno));
			break;
		}
		/* A wake-up that is not the end (a snapshot's turn) is taken, or poll spins. */
		if (pfd[0].revents & POLLIN) {
			uint64_t count;

			if (read(vm->done_fd, &count, sizeof(count)) < 0)
				count = 0;
		}
		if (vm->ops && vm->ops->tick && !vm_stopping(vm))
			vm->ops->tick(vm);
		vm_coalesced_kick(vm);
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGUSR1)
				take_snapshot(vm, "SIGUSR1");
			else
				vm_request_stop(vm, VM_STOP_SIGNAL, si.ssi_signo, 0, "interrupted by %s",
						si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
		}
		if (atomic_load(&vm->snapshot_requested))
			take_snapshot(vm, "guest request");
		pc_s3_poll(vm);
		probe_halts(vm, &next_probe);
	}
}

int vm_run(struct vm *vm, struct fpvm_error *err)
{
	sigset_t set;
	int sig_fd, r = 0;

	/*
	 * Block before any vCPU thread exists, so every thread inherits it.
	 * A shell starts background jobs with SIGINT ignored, and an ignored
	 * signal never reaches a signalfd: take the default back, as QEMU does.
	 */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (vm->cfg->snapshot_dir)
		sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (vm_kick_init() || (vm->cfg->seccomp != SECCOMP_OFF && seccomp_sigsys_init()))
		return SYSFAIL(err, "sigaction");
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sig_fd < 0)
		return SYSFAIL(err, "signalfd");

	if (vm->ops && vm->ops->start)
		vm->ops->start(vm);
	vm_coalesced_start(vm);
	vm->stats.run_start_ns = vm_now_ns();
	pthread_mutex_lock(&vm->lock);
	/* A restored vCPU that had halted stays so: no thread, as before. */
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (!vm->vcpu_halted || !vm->vcpu_halted[i])
			atomic_fetch_add(&vm->running, 1);
	for (unsigned int i = 0; i < vm->nr_vcpus && !r; i++)
		if (!vm->vcpu_halted || !vm->vcpu_halted[i])
			r = vm_start_vcpu(vm, vm->vcpus[i], err);
	pthread_mutex_unlock(&vm->lock);
	if (!atomic_load(&vm->running))
		vm_request_stop(vm, VM_STOP_HALTED, 0, 0,
				"all vCPUs halted without writing an exit status");
	/* Once every vCPU thread exists, the main thread only waits, reports and tears down. */
	if (!r && vm->cfg->seccomp == SECCOMP_ALL)
		r = seccomp_filter_thread(SECCOMP_THREAD_VMM, err);
	if (r) {
		vm_request_stop(vm, VM_STOP_ERROR, err->cls, 0, "%s", err->msg);
	} else {
		vm_wait(vm, sig_fd);
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vm_join_vcpu(vm->vcpus[i]);
	close(sig_fd);
	serial8250_flush(vm->serial);
	if (vm->cfg->verbose)
		vm_report(vm, "fpvm: %s; %llu serial bytes, %lu unknown port and %lu unknown MMIO "
			  "accesses\n", vm->reason,
			  (unsigned long long)serial8250_tx_bytes(vm->serial),
			  atomic_load(&vm->unknown_pio), atomic_load(&vm->unknown_mmio));
	return r;
}
