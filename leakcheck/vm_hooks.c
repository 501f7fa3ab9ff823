// SPDX-License-Identifier: MIT
/*
 * A leakcheck VM's hooks (vm_hooks.h).  The leak guest's boot vCPUs write
 * canaries; on every exit this side checks that the VMM thread's
 * registers came back without guest state, and every few exits that KVM
 * holds only each writer's own canaries; it adds fresh reader vCPUs while
 * the VM runs, and carries out the coordinator's injections and its
 * snapshot order.  Findings stay in per-vCPU tables (no locks on the exit
 * path) until the end.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../guest/abi.h"
#include "../snapshot/snapshot.h"
#include "../vcpu/vcpu.h"
#include "../vmm/pause.h"
#include "../vmm/vm_snapshot.h"
#include "vm_hooks.h"

static uint64_t elapsed_ms(const struct leak_vm *lv)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)((int64_t)(ts.tv_sec - lv->t0.tv_sec) * 1000 +
			  (int64_t)(ts.tv_nsec - lv->t0.tv_nsec) / 1000000);
}

int leak_send(int sock, uint32_t type, uint32_t vcpu, uint32_t arg, const void *data, uint32_t len)
{
	struct leak_msg m = { type, vcpu, arg, len };
	struct iovec iov[2] = { { &m, sizeof(m) }, { (void *)data, len } };
	struct msghdr h = { .msg_iov = iov, .msg_iovlen = data ? 2 : 1 };

	return sendmsg(sock, &h, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/*
 * What KVM_GET_XSAVE2 gives for a restored vCPU before it runs: a writer's
 * own canaries of one round, a reader's init state.
 */
static void scan_restored(struct leak_vm *lv, struct vm *vm, struct vcpu *vcpu)
{
	bool reader = vcpu->id >= lv->cfg->writers;
	struct fpvm_error err;
	unsigned int words;

	if (vcpu_sync_fpstate(vcpu, &err)) {
		vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "%s", err.msg);
		return;
	}
	words = leak_scan_restored(&lv->guest_slots, vcpu->guest_fps.buf,
				   reader ? LEAK_READER : LEAK_RESTORED, lv->id, vcpu->id,
				   elapsed_ms(lv), &lv->v[vcpu->id].table);
	atomic_fetch_add(&lv->kvm_bytes, 8ULL * words);
}

static void leak_start(struct vm *vm)
{
	struct leak_vm *lv = vm->ops_data;

	bool ok = !leak_slots_init(&lv->guest_slots, &vm->fpu.cfg->layout, vm->fpu.xcr0) &&
		  !leak_slots_init(&lv->host_slots, &vm->fpu.cfg->host.layout,
				   vm->fpu.cfg->host.xcr0);

	for (unsigned int i = 0; i < lv->cfg->writers; i++) {
		lv->v[i].capture_buf = aligned_alloc(64, vm->fpu.xsave_size);
		lv->v[i].inject_buf = aligned_alloc(64, vm->fpu.xsave_size);
		ok = ok && lv->v[i].capture_buf && lv->v[i].inject_buf;
	}
	/* A scan without its slots would find nothing: not a clean result. */
	if (!ok) {
		vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0, "leakcheck: out of memory");
		return;
	}
	lv->next_reader = elapsed_ms(lv) + lv->reader_period;
	lv->next_stats = elapsed_ms(lv) + STATS_MS;
	for (unsigned int i = 0; lv->restored && i < vm->nr_vcpus; i++)
		scan_restored(lv, vm, vm->vcpus[i]);
}

/* --inject host: the vCPU's guest state lands in the VMM thread's registers. */
static void inject_host(struct vm *vm, struct vcpu *vcpu)
{
	uint64_t host_xcr0 = vm->fpu.cfg->host.xcr0;
	struct fpvm_error err;

	if (vcpu_sync_fpstate(vcpu, &err))
		return;
	host_xrstor(vcpu->guest_fps.buf, vm->fpu.xcr0);
	host_xsave(vcpu->host_after, host_xcr0);
	host_xrstor(vcpu->host_fps.buf, host_xcr0);	/* the thread's own, back */
}

static void inject_state(struct vcpu *vcpu, struct leak_vcpu *v)
{
	struct fpvm_error err;

	/* Even a deliberate leak is validated before KVM sees it. */
	if (!vcpu_set_fpstate(vcpu, v->inject_buf, &err))
		atomic_store(&v->injected, true);
}

static void leak_after_run(struct vm *vm, struct vcpu *vcpu)
{
	struct leak_vm *lv = vm->ops_data;
	struct leak_vcpu *v = &lv->v[vcpu->id];
	uint64_t t = elapsed_ms(lv);
	struct fpvm_error err;
	unsigned int words;

	atomic_fetch_add(&lv->exits, 1);
	if (atomic_load(&v->armed) && atomic_exchange(&v->inject_host, false)) {
		inject_host(vm, vcpu);
		atomic_store(&v->injected, true);
	}
	if (vcpu->host_after) {
		words = leak_scan_host(&lv->host_slots, vcpu->host_fps.buf, vcpu->host_after, lv->id,
				       vcpu->id, lv->cfg->nr_vms, t, &v->table);
		atomic_fetch_add(&lv->host_bytes, 8ULL * words);
	}
	if (!atomic_load(&v->armed))
		return;
	if (atomic_exchange(&v->inject_pending, false)) {
		inject_state(vcpu, v);
		return;
	}
	if (++v->exits % KVM_CHECK_EVERY && atomic_load(&v->capture) == CAPTURE_NONE)
		return;
	if (vcpu_sync_fpstate(vcpu, &err))
		return;
	if (atomic_load(&v->capture) != CAPTURE_NONE && !atomic_load(&v->capture_ready)) {
		memcpy(v->capture_buf, vcpu->guest_fps.buf, vcpu->guest_fps.size);
		atomic_store(&v->capture_ready, true);
	}
	if (lv->restored)
		words = leak_scan_restored(&lv->guest_slots, vcpu->guest_fps.buf, LEAK_RESTORED,
					   lv->id, vcpu->id, t, &v->table);
	else
		words = leak_scan_kvm(&lv->guest_slots, vcpu->guest_fps.buf, lv->id, vcpu->id, t,
				      &v->table);
	atomic_fetch_add(&lv->kvm_bytes, 8ULL * words);
}

static int leak_ctl(struct vm *vm, unsigned int cpu, uint32_t op, const void *payload,
		    uint32_t size)
{
	struct leak_vm *lv = vm->ops_data;
	struct fpvm_leak_report rep;
	struct leak_vcpu *v;

	if (op != FPVM_CTL_LEAK_ROUND && op != FPVM_CTL_LEAK_READER)
		return -ENOSYS;
	if (size != sizeof(rep) || cpu >= LEAK_MAX_VCPUS)
		return -EINVAL;
	memcpy(&rep, payload, sizeof(rep));
	rep.vcpu = cpu;		/* the guest's claim does not matter; the exit does */
	v = &lv->v[cpu];
	if (op == FPVM_CTL_LEAK_READER) {
		atomic_fetch_add(&lv->readers, 1);
		leak_report_findings(&rep, LEAK_READER, lv->id, elapsed_ms(lv), &v->table);
		return 0;
	}
	atomic_store(&v->armed, true);
	atomic_fetch_add(&lv->guest_bytes, xstate_size_standard(&vm->fpu.cfg->layout, vm->fpu.xcr0));
	if (rep.round)
		leak_report_findings(&rep, lv->restored ? LEAK_RESTORED : LEAK_GUEST, lv->id,
				     elapsed_ms(lv), &v->table);
	/* Make the host switch tasks often: other VMs' vCPUs share these CPUs. */
	if (atomic_fetch_add(&lv->rounds, 1) % YIELD_EVERY == 0)
		sched_yield();
	return 0;
}

void leak_vm_stats(const struct leak_vm *lv, const struct vm *vm, struct leak_stats *st)
{
	*st = (struct leak_stats){
		.rounds = atomic_load(&lv->rounds), .exits = atomic_load(&lv->exits),
		.host_bytes = atomic_load(&lv->host_bytes), .kvm_bytes = atomic_load(&lv->kvm_bytes),
		.guest_bytes = atomic_load(&lv->guest_bytes), .readers = atomic_load(&lv->readers),
		.snapshots = lv->snapshots, .restores = lv->restores, .xcr0 = vm->fpu.xcr0,
	};
}

static void handle_messages(struct leak_vm *lv, struct vm *vm)
{
	uint8_t buf[sizeof(struct leak_msg) + LEAK_MSG_MAX];
	const struct leak_msg *m = (const void *)buf;
	ssize_t n;

	while ((n = recv(lv->sock, buf, sizeof(buf), MSG_DONTWAIT)) >= (ssize_t)sizeof(*m)) {
		struct leak_vcpu *v;

		if (m->vcpu >= lv->cfg->writers || m->arg >= LEAK_MAX_VCPUS)
			continue;
		v = &lv->v[m->vcpu];
		switch (m->type) {
		case LK_CAPTURE:
			atomic_store(&v->capture, CAPTURE_PARENT);
			break;
		case LK_INJECT:
			if (m->len != vm->fpu.xsave_size || n != (ssize_t)(sizeof(*m) + m->len))
				break;
			memcpy(v->inject_buf, buf + sizeof(*m), m->len);
			atomic_store(&v->inject_pending, true);
			break;
		case LK_INJECT_VCPU:
			if (m->arg >= lv->cfg->writers)
				break;
			lv->v[m->arg].forward_to = m->vcpu;
			atomic_store(&lv->v[m->arg].capture, CAPTURE_FORWARD);
			break;
		case LK_INJECT_HOST:
			atomic_store(&v->inject_host, true);
			break;
		case LK_INJECT_FRESH:
			atomic_store(&v->capture, CAPTURE_FRESH);
			break;
		case LK_SNAPSHOT:
			lv->snap_pending = true;
			lv->snap_inject = -1;
			if (m->len != vm->fpu.xsave_size || n != (ssize_t)(sizeof(*m) + m->len))
				break;
			memcpy(v->inject_buf, buf + sizeof(*m), m->len);
			lv->snap_inject = (int)m->vcpu;
			break;
		}
	}
}

/* A VM that cannot reach the coordinator has no one to report to: stop it. */
static void tell(struct leak_vm *lv, struct vm *vm, uint32_t type, uint32_t vcpu, uint32_t arg,
		 const void *data, uint32_t len)
{
	int r = leak_send(lv->sock, type, vcpu, arg, data, len);

	if (r)
		vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0,
				"leakcheck: cannot reach the coordinator: %s", strerror(-r));
}

/* --inject snapshot: @img becomes vCPU @id's image in the snapshot, its checksum with it. */
static int inject_snapshot(struct vm *vm, unsigned int id, uint8_t *img, struct fpvm_error *err)
{
	struct snapshot_writer w = { 0 };
	char name[SNAPSHOT_NAME_MAX];
	int r = snapshot_edit_begin(&w, vm->cfg->snapshot_dir, err);

	if (r)
		return r;
	r = snapshot_part_write(&w, snapshot_vcpu_part(name, id, SNAPSHOT_VCPU_XSAVE), img,
				vm->vcpus[id]->guest_fps.size, err);
	if (r) {
		snapshot_write_abort(&w);
		return r;
	}
	return snapshot_write_commit(&w, err);
}

/*
 * --snapshot: every vCPU paused, the VM saved, and this process ends with
 * it; the coordinator restores the snapshot in a new one.
 */
static void hand_over(struct leak_vm *lv, struct vm *vm)
{
	struct fpvm_error err = { 0 };
	int r;

	lv->snap_pending = false;
	vm_pause_vcpus(vm);
	r = vm_stopping(vm) ? -ESHUTDOWN : vm_snapshot_save(vm, "leakcheck", &err);
	if (!r && lv->snap_inject >= 0)
		r = inject_snapshot(vm, (unsigned int)lv->snap_inject,
				    lv->v[lv->snap_inject].inject_buf, &err);
	if (!r)
		vm_request_stop(vm, VM_STOP_NONE, 0, 0, "snapshot taken: goes on restored");
	else if (r != -ESHUTDOWN)
		vm_request_stop(vm, VM_STOP_ERROR, err.cls, 0, "%s", err.msg);
	vm_resume_vcpus(vm);
	if (r)
		return;
	lv->snapshots++;
	if (lv->snap_inject >= 0)
		tell(lv, vm, LK_INJECTED, (uint32_t)lv->snap_inject, 0, NULL, 0);
	tell(lv, vm, LK_SAVED, 0, lv->id, NULL, 0);
}

static void leak_tick(struct vm *vm)
{
	struct leak_vm *lv = vm->ops_data;
	uint64_t t = elapsed_ms(lv);
	unsigned int armed = 0;
	struct fpvm_error err;

	handle_messages(lv, vm);
	if (lv->snap_pending) {
		hand_over(lv, vm);
		return;
	}
	for (unsigned int i = 0; i < lv->cfg->writers; i++) {
		struct leak_vcpu *v = &lv->v[i];

		armed += atomic_load(&v->armed);
		if (atomic_exchange(&v->injected, false))
			tell(lv, vm, LK_INJECTED, i, 0, NULL, 0);
		if (!atomic_load(&v->capture_ready))
			continue;
		if (atomic_load(&v->capture) == CAPTURE_PARENT) {
			tell(lv, vm, LK_STATE, i, lv->id, v->capture_buf, vm->fpu.xsave_size);
		} else if (atomic_load(&v->capture) == CAPTURE_FRESH) {
			lv->fresh_state = v->capture_buf;
			lv->next_reader = t;
		} else {
			memcpy(lv->v[v->forward_to].inject_buf, v->capture_buf, vm->fpu.xsave_size);
			atomic_store(&lv->v[v->forward_to].inject_pending, true);
		}
		atomic_store(&v->capture, CAPTURE_NONE);
		atomic_store(&v->capture_ready, false);
	}
	if (!lv->armed_sent && armed == lv->cfg->writers) {
		lv->armed_sent = true;
		tell(lv, vm, LK_ARMED, 0, lv->id, NULL, 0);
	}
	/* Fresh vCPUs, added while the others run, must start from init state. */
	if (armed == lv->cfg->writers && t >= lv->next_reader &&
	    vm->nr_vcpus < vm->boot.nr_slots) {
		struct vcpu *fresh = vm_add_vcpu(vm, lv->fresh_state, &err);

		if (fresh && lv->fresh_state)
			tell(lv, vm, LK_INJECTED, fresh->id, 0, NULL, 0);
		lv->fresh_state = NULL;
		lv->next_reader = t + lv->reader_period;
	}
	if (t >= lv->next_stats) {
		struct leak_stats st;

		leak_vm_stats(lv, vm, &st);
		tell(lv, vm, LK_STATS, 0, lv->id, &st, sizeof(st));
		lv->next_stats = t + STATS_MS;
	}
}

const struct vm_ops leak_ops = {
	.after_run = leak_after_run,
	.ctl = leak_ctl,
	.start = leak_start,
	.tick = leak_tick,
	.tick_ms = 10,
};
