// SPDX-License-Identifier: MIT
/*
 * One VM of a leakcheck run, in its own process: booted with the leak
 * hooks (vm_hooks.c), or restored from the snapshot the previous process
 * of this VM saved when told (with --snapshot), then run until its
 * duration is over; at the end, its findings and figures go to the
 * coordinator.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../snapshot/check.h"
#include "../vmm/run.h"
#include "../vmm/stats.h"
#include "../vmm/vm_snapshot.h"
#include "vm_hooks.h"

extern const unsigned char leak_guest_elf[];
extern const size_t leak_guest_elf_len;

/* Sends LK_DONE: @vcpu carries the stop's value, @arg the stop (enum vm_stop). */
static int send_done(int sock, enum vm_stop stop, uint32_t value, const char *reason)
{
	return leak_send(sock, LK_DONE, value, stop, reason, (uint32_t)strlen(reason) + 1);
}

/* This VM's figures, through the code of 'fpvm run --stats=json'. */
static int send_vm_stats(int sock, const struct vm *vm)
{
	struct vm_run_stats rs = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (vm_stats_collect(&rs, vm))
		return 0;	/* out of memory: the report goes without them */
	f = open_memstream(&text, &len);
	if (f) {
		vm_stats_print(f, true, &rs);
		fclose(f);
	}
	vm_stats_release(&rs);
	r = text && len < LEAK_MSG_MAX ? leak_send(sock, LK_VMSTATS, 0, 0, text, (uint32_t)len) : 0;
	free(text);
	return r;
}

/* The snapshot this process restores, whole and fitting this host; @cfg becomes its VM's. */
static int open_snapshot(struct leak_vm *lv, struct kvm *kvm, const struct guest_fpu_cfg *fc,
			 struct vm_snapshot *s, struct vm_config *cfg, struct fpvm_error *err)
{
	struct snapshot_findings *f = calloc(1, sizeof(*f));
	unsigned int max_cpus = cfg->max_cpus;
	int r;

	if (!f)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	r = vm_snapshot_open(s, lv->restore_dir, err);
	if (!r)
		vm_snapshot_check(s, kvm, fc, f);
	for (unsigned int i = 0; !r && i < f->nr; i++)
		if (f->item[i].error)
			r = fpvm_fail(err, FPVM_ERR_INCOMPATIBLE, EINVAL, "snapshot %s: %s",
				      s->path, f->item[i].msg);
	free(f);
	if (r)
		return r;
	vm_snapshot_config(s, cfg);
	cfg->max_cpus = max_cpus;	/* its boot layout, and room for fresh vCPUs */
	return 0;
}

/* vm_boot_ops() for a snapshot: the VM restored, then run with the leak hooks. */
static int run_restored(struct vm *vm, struct kvm *kvm, const struct guest_fpu_cfg *fc,
			const struct vm_config *cfg, const struct vm_snapshot *s,
			struct leak_vm *lv, struct fpvm_error *err)
{
	struct load_limits lim;
	uint64_t t;
	int r = vm_restore(vm, kvm, fc, cfg, s, err);

	if (r)
		return r;
	/* Fresh vCPUs start at the leak guest's entry; a restore loads no image. */
	load_limits_init(&lim, &vm->mem, &vm->boot);
	r = image_validate(leak_guest_elf, leak_guest_elf_len, &lim, &vm->image, err);
	if (r)
		return r;
	lv->restores++;
	vm->ops = &leak_ops;
	vm->ops_data = lv;
	t = vm_now_ns();
	r = vm_run(vm, err);
	vm->stats.phase_ns[VM_PHASE_RUN] = vm_now_ns() - t;
	return r;
}

int leak_vm_main(const struct leak_config *c, const struct leak_proc *p, int sock)
{
	struct leak_vm *lv = calloc(1, sizeof(*lv));
	char arg[16], *args[] = { arg };
	unsigned int readers = LEAK_MAX_VCPUS - c->writers;
	struct vm_config cfg = {
		.guest_path = "leak.elf", .guest_nargs = 1, .guest_args = args,
		.nr_cpus = c->writers, .mem_size = LEAK_MEM, .timeout_ms = p->run_ms,
		.quiet = true, .xcr0 = c->xcr0, .dtb_fd = -1,
		.image = leak_guest_elf, .image_len = leak_guest_elf_len,
		.check_host_fpstate = true, .stats = true,
		.seccomp = seccomp_policy_for(SECCOMP_VCPUS),
	};
	struct vcpu_placement pin;
	struct vm_snapshot snap = { 0 };
	struct fpvm_error err = { 0 };
	struct leak_table all = { 0 };
	struct leak_stats st;
	struct guest_fpu_cfg fpu_cfg;
	enum vm_stop stop;
	uint32_t value;
	struct kvm kvm;
	struct vm vm = { 0 };
	bool made;
	int lost = 0, r;

	if (!lv) {
		send_done(sock, VM_STOP_ERROR, FPVM_ERR_SYSTEM, "out of memory");
		return 1;
	}
	if (readers > LEAK_MAX_READERS)
		readers = LEAK_MAX_READERS;
	cfg.max_cpus = c->writers + readers;
	snprintf(arg, sizeof(arg), "vm=%u", p->vm);
	lv->cfg = c;
	lv->id = p->vm;
	lv->sock = sock;
	lv->t0 = p->t0;
	lv->restored = p->cycle > 0;
	if (c->snapshot) {
		snprintf(lv->snap_dir, sizeof(lv->snap_dir), "%s/vm%u.%u", p->snapshot_root, p->vm,
			 p->cycle + 1);
		snprintf(lv->restore_dir, sizeof(lv->restore_dir), "%s/vm%u.%u", p->snapshot_root,
			 p->vm, p->cycle);
		cfg.snapshot_dir = lv->snap_dir;
	}
	lv->reader_period = c->duration_ms / (readers + 1);
	if (lv->reader_period < 100)
		lv->reader_period = 100;
	/* Before the VM's first thread, which inherits it; the vCPU threads set it again. */
	r = leak_pin(c, &pin);
	if (r) {
		char msg[64];

		snprintf(msg, sizeof(msg), "CPU %u: %s", c->pin_cpu, strerror(-r));
		send_done(sock, VM_STOP_ERROR, FPVM_ERR_SYSTEM, msg);
		free(lv);
		return 1;
	}
	cfg.affinity = c->pin ? &pin : NULL;
	cfg.serial_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (cfg.serial_fd < 0 || guest_fpu_open(&kvm, &fpu_cfg, c->kvm_path, false, NULL, &err)) {
		if (cfg.serial_fd < 0)
			fpvm_fail(&err, FPVM_ERR_SYSTEM, errno, "/dev/null: %s", strerror(errno));
		send_done(sock, VM_STOP_ERROR, err.cls, err.msg);
		free(lv);
		return 1;
	}
	/* vm_create() comes first in both: from there on, the VM is to be destroyed. */
	made = !lv->restored || !open_snapshot(lv, &kvm, &fpu_cfg, &snap, &cfg, &err);
	if (!made)
		r = -EINVAL;
	else if (lv->restored)
		r = run_restored(&vm, &kvm, &fpu_cfg, &cfg, &snap, lv, &err);
	else
		r = vm_boot_ops(&vm, &kvm, &fpu_cfg, &cfg, &leak_ops, lv, &err);
	if (r) {
		stop = VM_STOP_ERROR;
		value = err.cls;
		snprintf(vm.reason, sizeof(vm.reason), "%.150s", err.msg);
	} else {
		/* Running out the clock is how a leakcheck VM ends. */
		stop = vm.stop == VM_STOP_TIMEOUT ? VM_STOP_NONE : vm.stop;
		value = vm.stop_value;
	}
	for (unsigned int i = 0; i < LEAK_MAX_VCPUS; i++) {
		for (unsigned int j = 0; j < lv->v[i].table.nr; j++)
			leak_table_add(&all, &lv->v[i].table.cells[j].first,
				       lv->v[i].table.cells[j].count);
		leak_table_free(&lv->v[i].table);
		free(lv->v[i].capture_buf);
		free(lv->v[i].inject_buf);
	}
	/*
	 * A lost result must not read as a clean one: without LK_DONE the
	 * coordinator reports this VM as ended without a result.
	 */
	if (!lost && made)
		lost = send_vm_stats(sock, &vm);
	for (unsigned int j = 0; j < all.nr && !lost; j++)
		lost = leak_send(sock, LK_CELL, 0, p->vm, &all.cells[j], sizeof(all.cells[j]));
	leak_vm_stats(lv, &vm, &st);
	st.leaks = leak_table_total(&all);
	if (!lost)
		lost = leak_send(sock, LK_STATS, 0, p->vm, &st, sizeof(st));
	if (!lost)
		lost = send_done(sock, stop, value, vm.reason);
	leak_table_free(&all);
	if (made)
		vm_destroy(&vm);
	if (lv->restored)
		vm_snapshot_close(&snap);
	guest_fpu_close(&kvm, &fpu_cfg);
	close(cfg.serial_fd);
	leak_slots_free(&lv->guest_slots);
	leak_slots_free(&lv->host_slots);
	free(lv);
	return stop != VM_STOP_NONE || lost;
}
