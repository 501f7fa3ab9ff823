// SPDX-License-Identifier: MIT
/*
 * The vCPU exit dispatcher and the control port, driven with synthetic
 * kvm_run contents: every exit reason, hostile control requests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../guest/abi.h"
#include "../../vmm/coalesced.h"
#include "testutil.h"

static struct fake_vm f;

static void setup(void)
{
	fake_vm_init(&f, 16ULL << 20);
}

static void teardown(void)
{
	fake_vm_free(&f);
}

static enum vcpu_action io(uint16_t port, bool out, uint8_t size, uint32_t count,
			   const void *data)
{
	struct kvm_run *run = f.vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = 1024;
	if (data)
		memcpy((uint8_t *)run + 1024, data, (size_t)size * count);
	return vm_handle_exit(&f.vm, f.vcpu);
}

static enum vcpu_action exit_with(uint32_t reason)
{
	f.vcpu->run->exit_reason = reason;
	return vm_handle_exit(&f.vm, f.vcpu);
}

static void expect_stopped(enum vm_stop stop, const char *fragment)
{
	ck_assert(vm_stopping(&f.vm));
	ck_assert_int_eq(f.vm.stop, stop);
	ck_assert_msg(strstr(f.vm.reason, fragment), "reason '%s' lacks '%s'", f.vm.reason,
		      fragment);
}

START_TEST(serial_output_via_io_exit)
{
	char buf[64];

	ck_assert_int_eq(io(FPVM_PORT_SERIAL, true, 1, 6, "hello\n"), VCPU_CONTINUE);
	fake_vm_output(&f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "hello\n");
	ck_assert(!vm_stopping(&f.vm));
}
END_TEST

START_TEST(unknown_port_reads_all_ones)
{
	uint8_t *data = (uint8_t *)f.vcpu->run + 1024;

	ck_assert_int_eq(io(0x2f8, false, 2, 1, NULL), VCPU_CONTINUE);
	ck_assert_uint_eq(data[0], 0xff);
	ck_assert_uint_eq(data[1], 0xff);
	ck_assert_int_eq(io(0x80, true, 1, 1, "\x01"), VCPU_CONTINUE);
	ck_assert_uint_eq(atomic_load(&f.vm.unknown_pio), 2);
	ck_assert(!vm_stopping(&f.vm));
}
END_TEST

START_TEST(unknown_mmio_reads_all_ones)
{
	struct kvm_run *run = f.vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = 0xfed00000;
	run->mmio.len = 4;
	run->mmio.is_write = 0;
	memset(run->mmio.data, 0, 8);
	ck_assert_int_eq(vm_handle_exit(&f.vm, f.vcpu), VCPU_CONTINUE);
	ck_assert_uint_eq(*(uint32_t *)run->mmio.data, 0xffffffff);
	ck_assert_uint_eq(run->mmio.data[4], 0);
	ck_assert_uint_eq(atomic_load(&f.vm.unknown_mmio), 1);
}
END_TEST

START_TEST(strict_io_is_fatal)
{
	f.cfg.strict_io = true;
	ck_assert_int_eq(io(0x2f8, false, 1, 1, NULL), VCPU_STOP);
	expect_stopped(VM_STOP_STRICT_IO, "1-byte read of unknown port 0x2f8 at rip");
	/* The command names its option (cmd/status.c); the library does not. */
	ck_assert_ptr_null(strstr(f.vm.reason, "--"));
}
END_TEST

START_TEST(debug_exit_sets_status)
{
	uint32_t v = 3;

	ck_assert_int_eq(io(FPVM_PORT_DEBUG_EXIT, true, 4, 1, &v), VCPU_STOP);
	expect_stopped(VM_STOP_GUEST_EXIT, "guest wrote 0x3 to the exit port");
	ck_assert_uint_eq(f.vm.stop_value, 3);
	ck_assert_uint_eq(f.vm.stop_flags & STOP_GUEST_EXIT, STOP_GUEST_EXIT);
}
END_TEST

/* The whole value reaches the command, which decides the status (test_cli). */
START_TEST(debug_exit_values)
{
	uint32_t v = 300;

	ck_assert_int_eq(io(FPVM_PORT_DEBUG_EXIT, true, 4, 1, &v), VCPU_STOP);
	expect_stopped(VM_STOP_GUEST_EXIT, "guest wrote 0x12c to the exit port");
	ck_assert_uint_eq(f.vm.stop_value, 300);
	atomic_store(&f.vm.stopping, false);
	v = 0x10;
	ck_assert_int_eq(io(FPVM_PORT_DEBUG_EXIT, true, 1, 1, &v), VCPU_STOP);
	ck_assert_uint_eq(f.vm.stop_value, 0x10);
}
END_TEST

START_TEST(first_stop_wins)
{
	vm_request_stop(&f.vm, VM_STOP_PANIC, 0, 0, "first");
	vm_request_stop(&f.vm, VM_STOP_TIMEOUT, 0, 0, "second");
	expect_stopped(VM_STOP_PANIC, "first");
}
END_TEST

START_TEST(exit_reasons)
{
	ck_assert_int_eq(exit_with(KVM_EXIT_HLT), VCPU_HALTED);
	ck_assert_int_eq(exit_with(KVM_EXIT_INTR), VCPU_CONTINUE);
	ck_assert(!vm_stopping(&f.vm));
}
END_TEST

START_TEST(exit_shutdown)
{
	ck_assert_int_eq(exit_with(KVM_EXIT_SHUTDOWN), VCPU_STOP);
	expect_stopped(VM_STOP_TRIPLE_FAULT, "triple fault");
}
END_TEST

/* A KVM that has reset the vCPU, as SVM does at shutdown. */
static int reset_state_ioctl(int fd, unsigned long request, unsigned long arg)
{
	(void)fd;
	if (request == KVM_GET_REGS) {
		*(struct kvm_regs *)arg = (struct kvm_regs){ .rip = 0xfff0, .rflags = 2 };
		return 0;
	}
	if (request == KVM_GET_SREGS) {
		*(struct kvm_sregs *)arg = (struct kvm_sregs){
			.cs = { .selector = 0xf000, .base = 0xffff0000 }, .cr0 = 0x60000010,
		};
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static const struct kvm_ops reset_state_ops = { .ioctl = reset_state_ioctl };

START_TEST(shutdown_after_a_reset_shows_the_last_state_seen)
{
	struct kvm_run *run = f.vcpu->run;
	char buf[2048];

	f.kvm.ops = &reset_state_ops;
	/* Before any exit: say that nothing was seen, never show reset registers. */
	run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	vcpu_note_exit(f.vcpu);
	vcpu_format_shutdown(f.vcpu, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "KVM has reset the vCPU already, as it does on AMD"));
	ck_assert_ptr_nonnull(strstr(buf, "no earlier exit"));
	ck_assert_ptr_null(strstr(buf, "fff0"));
	/* An I/O exit, then the shutdown: the I/O exit's registers are shown. */
	run->exit_reason = KVM_EXIT_IO;
	run->s.regs.regs = (struct kvm_regs){ .rip = 0x100123, .rax = 0x2a };
	vcpu_note_exit(f.vcpu);
	run->exit_reason = KVM_EXIT_SHUTDOWN;
	run->s.regs.regs = (struct kvm_regs){ .rip = 0xfff0 };
	vcpu_note_exit(f.vcpu);
	vcpu_format_shutdown(f.vcpu, buf, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "registers at its last exit (IO), the last state fpvm saw"));
	ck_assert_ptr_nonnull(strstr(buf, "rip 0000000000100123"));
	ck_assert_ptr_nonnull(strstr(buf, "rax 000000000000002a"));
	f.kvm.ops = &kvm_sys_ops;
}
END_TEST

START_TEST(reset_state_is_told_apart)
{
	struct kvm_regs r = { .rip = 0xfff0 };
	struct kvm_sregs s = { .cs = { .selector = 0xf000 }, .cr0 = 0x60000010 };

	ck_assert(vcpu_in_reset_state(&r, &s));
	s.cr0 |= 1;	/* protected mode: a guest's state */
	ck_assert(!vcpu_in_reset_state(&r, &s));
	s.cr0 &= ~1ULL;
	r.rip = 0x100000;
	ck_assert(!vcpu_in_reset_state(&r, &s));
}
END_TEST

START_TEST(exit_fail_entry)
{
	f.vcpu->run->fail_entry.hardware_entry_failure_reason = 0x80000021;
	ck_assert_int_eq(exit_with(KVM_EXIT_FAIL_ENTRY), VCPU_STOP);
	expect_stopped(VM_STOP_FAIL_ENTRY, "hardware reason 0x80000021");
}
END_TEST

START_TEST(exit_internal_error_with_instruction)
{
	struct kvm_run *run = f.vcpu->run;

	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.ndata = 4;
	run->emulation_failure.flags = KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = 2;
	run->emulation_failure.insn_bytes[0] = 0xd9;
	run->emulation_failure.insn_bytes[1] = 0xe8;
	ck_assert_int_eq(exit_with(KVM_EXIT_INTERNAL_ERROR), VCPU_STOP);
	expect_stopped(VM_STOP_INTERNAL_ERROR, "suberror 1 (instruction emulation failed), "
			"instruction bytes: d9 e8");
}
END_TEST

START_TEST(exit_internal_error_with_data)
{
	struct kvm_run *run = f.vcpu->run;

	run->internal.suberror = KVM_INTERNAL_ERROR_DELIVERY_EV;
	run->internal.ndata = 2;
	run->internal.data[0] = 0x80000b0e;
	run->internal.data[1] = 0x7;
	ck_assert_int_eq(exit_with(KVM_EXIT_INTERNAL_ERROR), VCPU_STOP);
	expect_stopped(VM_STOP_INTERNAL_ERROR, "event delivery failed), data 0x80000b0e 0x7");
}
END_TEST

START_TEST(exit_system_event)
{
	f.vcpu->run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	ck_assert_int_eq(exit_with(KVM_EXIT_SYSTEM_EVENT), VCPU_STOP);
	expect_stopped(VM_STOP_SYSTEM_EVENT, "system event: reset");
}
END_TEST

START_TEST(exit_unexpected)
{
	ck_assert_int_eq(exit_with(KVM_EXIT_DEBUG), VCPU_STOP);
	expect_stopped(VM_STOP_UNHANDLED_EXIT, "unexpected KVM exit reason 4 (DEBUG)");
	atomic_store(&f.vm.stopping, false);
	ck_assert_int_eq(exit_with(999), VCPU_STOP);
	expect_stopped(VM_STOP_UNHANDLED_EXIT, "reason 999 (?)");
}
END_TEST

/* ---- control port ---- */

static void *guest(uint64_t gpa, size_t len)
{
	void *p = guest_mem_ptr(&f.vm.mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void ctl(uint32_t addr)
{
	ck_assert_int_eq(io(FPVM_PORT_CTL, true, 4, 1, &addr), vm_stopping(&f.vm) ? VCPU_STOP
										  : VCPU_CONTINUE);
}

START_TEST(ctl_exception_report)
{
	struct fpvm_ctl_req *req = guest(0x200000, 4096);
	struct fpvm_exception *e = (void *)(req + 1);

	*req = (struct fpvm_ctl_req){ FPVM_CTL_MAGIC, FPVM_CTL_EXCEPTION, sizeof(*e), 1 };
	*e = (struct fpvm_exception){ .vector = 14, .error_code = 6, .rip = 0x100123, .cs = 0x23 };
	ctl(0x200000);
	expect_stopped(VM_STOP_EXCEPTION, "#PF page fault (vector 14) at rip 0x100123");
	ck_assert_int_eq(req->result, 0);
}
END_TEST

START_TEST(ctl_panic_is_sanitised)
{
	struct fpvm_ctl_req *req = guest(0x200000, 4096);

	*req = (struct fpvm_ctl_req){ FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 12, 0 };
	memcpy(req + 1, "bad\nthing\x1b!", 12);
	ctl(0x200000);
	expect_stopped(VM_STOP_PANIC, "guest panic: bad?thing?!");
}
END_TEST

START_TEST(ctl_hostile_requests_are_ignored)
{
	struct fpvm_ctl_req *req = guest(0x200000, 4096);
	uint16_t narrow = 0x1234;

	ctl(0x200004);				/* unaligned */
	ctl(0xfff00000);			/* not RAM */
	ctl((16U << 20) - 8);			/* header runs past RAM */
	*req = (struct fpvm_ctl_req){ 0xdeadbeef, FPVM_CTL_PANIC, 4, 0 };
	ctl(0x200000);				/* bad magic */
	*req = (struct fpvm_ctl_req){ FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 0xffffffff, 0 };
	ctl(0x200000);				/* absurd size */
	*req = (struct fpvm_ctl_req){ FPVM_CTL_MAGIC, FPVM_CTL_EXCEPTION, 8, 0 };
	ctl(0x200000);				/* wrong payload size */
	ck_assert_int_eq(req->result, -EINVAL);
	*req = (struct fpvm_ctl_req){ FPVM_CTL_MAGIC, 77, 0, 0 };
	ctl(0x200000);				/* unknown op */
	ck_assert_int_eq(req->result, -ENOSYS);
	ck_assert_int_eq(io(FPVM_PORT_CTL, true, 2, 1, &narrow), VCPU_CONTINUE);
	ck_assert(!vm_stopping(&f.vm));
}
END_TEST

/* stderr while fn() runs, as text. */
static size_t capture_stderr(void (*fn)(void), char *buf, size_t size)
{
	FILE *t = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(t), STDERR_FILENO), 0);
	fn();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(t);
	n = fread(buf, 1, size - 1, t);
	buf[n] = '\0';
	fclose(t);
	return n;
}

static void ctl_flood(void)
{
	struct fpvm_ctl_req *req = guest(0x200000, 4096);
	uint8_t byte = 1;

	*req = (struct fpvm_ctl_req){ 0xdeadbeef, FPVM_CTL_PANIC, 4, 0 };
	ctl(0xfff00000);			/* header not in RAM */
	ctl(0x200000);				/* bad magic */
	*(struct fpvm_ctl_req *)guest((16U << 20) - 16, 16) =
		(struct fpvm_ctl_req){ FPVM_CTL_MAGIC, FPVM_CTL_PANIC, 64, 0 };
	ctl((16U << 20) - 16);			/* payload runs past RAM */
	/* A guest's REP OUTSB: one malformed request per byte, 100000 times. */
	for (int i = 0; i < 100000; i++)
		io(FPVM_PORT_CTL, true, 1, 1, &byte);
}

static unsigned int count_lines(const char *s, const char *text)
{
	unsigned int n = 0;

	for (const char *p = s; (p = strstr(p, text)); p += strlen(text))
		n++;
	return n;
}

/* Regression: every malformed request printed a line, so a guest could fill the log. */
START_TEST(ctl_warnings_are_bounded)
{
	static char err[64 * 1024];

	capture_stderr(ctl_flood, err, sizeof(err));
	ck_assert(!vm_stopping(&f.vm));
	ck_assert_msg(count_lines(err, "\n") <= 11, "stderr has %u lines, beginning %.200s",
		      count_lines(err, "\n"), err);
	ck_assert_uint_eq(count_lines(err, "more than 10 malformed control requests; "
					   "no more are reported"), 1);
	/* In a fresh process (Check forks per test) each reason is named. */
	if (count_lines(err, "\n") == 11) {
		ck_assert_uint_eq(count_lines(err, "control request at 0xfff00000: header is not "
						   "in RAM"), 1);
		ck_assert_uint_eq(count_lines(err, "control request at 0x200000: bad magic "
						   "0xdeadbeef"), 1);
		ck_assert_uint_eq(count_lines(err, "control request at 0xfffff0: payload of 64 "
						   "bytes is not in RAM"), 1);
		ck_assert_uint_eq(count_lines(err, "ignored 1-byte write to control port 0x600: "
						   "requests are 32-bit writes to 0x600"), 7);
	}
}
END_TEST

/*
 * KVM's coalesced ring (vmm/coalesced.c), filled as KVM fills it
 * (virt/kvm/coalesced_mmio.c): entries in order, then last moves on.
 */
#define RING_ENTRIES	((4096 - sizeof(struct kvm_coalesced_mmio_ring)) / \
			 sizeof(struct kvm_coalesced_mmio))

static struct kvm_coalesced_mmio_ring *ring_alloc(void)
{
	struct kvm_coalesced_mmio_ring *ring = aligned_alloc(4096, 4096);

	ck_assert_ptr_nonnull(ring);
	memset(ring, 0, 4096);
	return ring;
}

static void ring_queue(struct kvm_coalesced_mmio_ring *ring, uint16_t port, const char *s)
{
	for (; *s; s++) {
		ring->coalesced_mmio[ring->last] = (struct kvm_coalesced_mmio){
			.phys_addr = port, .len = 1, .pio = 1, .data = { (uint8_t)*s },
		};
		ring->last = (uint32_t)((ring->last + 1) % RING_ENTRIES);
	}
}

START_TEST(coalesced_thr_writes_come_before_the_next_exit)
{
	struct kvm_coalesced_mmio_ring *ring = ring_alloc();
	char buf[64];

	/* Across the ring's end, as KVM wraps it. */
	ring->first = ring->last = (uint32_t)RING_ENTRIES - 3;
	ring_queue(ring, FPVM_PORT_SERIAL, "queued\n");
	f.vm.coalesced = ring;
	ck_assert(vm_coalesced_pending(&f.vm));
	/* What the vCPU thread does after KVM_RUN: the ring, then the exit. */
	vm_coalesced_drain(&f.vm);
	ck_assert_int_eq(io(FPVM_PORT_SERIAL, true, 1, 4, "now\n"), VCPU_CONTINUE);
	fake_vm_output(&f, buf, sizeof(buf));
	ck_assert_str_eq(buf, "queued\nnow\n");
	ck_assert(!vm_coalesced_pending(&f.vm));
	ck_assert_uint_eq(ring->first, 4);
	ck_assert_uint_eq(f.vm.stats.coalesced_writes, 7);
	/* An index past the ring is never followed: KVM or fpvm is broken, the VM stops. */
	ring->first = 4096;
	ring->last = 1;
	vm_coalesced_drain(&f.vm);
	ck_assert_uint_eq(f.vm.stats.coalesced_writes, 7);
	ck_assert_ptr_null(f.vm.coalesced);
	ck_assert(!vm_coalesced_pending(&f.vm));
	expect_stopped(VM_STOP_ERROR, "coalesced PIO ring: index 4096 or 1 outside its 170 entries");
	free(ring);
}
END_TEST

static unsigned long zone_calls[8];
static unsigned int nr_zone_calls;
static bool fail_zone_calls;

static int zone_ioctl(int fd, unsigned long req, unsigned long arg)
{
	const struct kvm_coalesced_mmio_zone *z = (const void *)arg;

	(void)fd;
	ck_assert(req == KVM_REGISTER_COALESCED_MMIO || req == KVM_UNREGISTER_COALESCED_MMIO);
	ck_assert_uint_eq(z->addr, FPVM_PORT_SERIAL);
	ck_assert_uint_eq(z->size, 1);
	ck_assert_uint_eq(z->pio, 1);
	ck_assert_uint_lt(nr_zone_calls, 8);
	zone_calls[nr_zone_calls++] = req;
	if (fail_zone_calls) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

static const struct kvm_ops zone_ops = { .ioctl = zone_ioctl };

/* A ring in place and THR's zone asked for once, with the zone calls recorded. */
static struct kvm_coalesced_mmio_ring *zone_start(bool fail)
{
	struct kvm_coalesced_mmio_ring *ring = ring_alloc();

	nr_zone_calls = 0;
	fail_zone_calls = fail;
	f.kvm.ops = &zone_ops;
	f.vm.coalesced = ring;
	vm_coalesced_update(&f.vm);
	ck_assert_uint_eq(nr_zone_calls, 1);
	ck_assert_uint_eq(zone_calls[0], KVM_REGISTER_COALESCED_MMIO);
	return ring;
}

static void zone_end(struct kvm_coalesced_mmio_ring *ring)
{
	f.vm.coalesced = NULL;
	f.kvm.ops = &kvm_sys_ops;
	free(ring);
}

/* THR's zone exists while its writes are quiet: THRI in IER or loopback in MCR end it for good. */
START_TEST(coalesced_zone_follows_ier_and_mcr)
{
	struct kvm_coalesced_mmio_ring *ring = zone_start(false);

	io(FPVM_PORT_SERIAL + 7, true, 1, 1, "x");	/* the scratch register changes nothing */
	ck_assert_uint_eq(nr_zone_calls, 1);
	io(FPVM_PORT_SERIAL + 4, true, 1, 1, "\x10");	/* MCR: loopback */
	ck_assert_uint_eq(nr_zone_calls, 2);
	ck_assert_uint_eq(zone_calls[1], KVM_UNREGISTER_COALESCED_MMIO);
	ck_assert(!f.vm.coalesced_on);
	/* Quiet again (Linux's console write clears IER around each line): no zone again. */
	io(FPVM_PORT_SERIAL + 4, true, 1, 1, "\x00");
	io(FPVM_PORT_SERIAL + 1, true, 1, 1, "\x02");
	io(FPVM_PORT_SERIAL + 1, true, 1, 1, "\x00");
	ck_assert_uint_eq(nr_zone_calls, 2);
	/* What was queued before still reaches the UART. */
	ring_queue(ring, FPVM_PORT_SERIAL, "late\n");
	vm_coalesced_drain(&f.vm);
	ck_assert_uint_eq(f.vm.stats.coalesced_writes, 5);
	ck_assert(!vm_stopping(&f.vm));
	zone_end(ring);
}
END_TEST

/* A zone KVM will not remove would hide the THRE interrupt: the VM stops. */
START_TEST(coalesced_zone_kept_by_kvm_stops_the_vm)
{
	struct kvm_coalesced_mmio_ring *ring = zone_start(false);

	fail_zone_calls = true;
	ck_assert_int_eq(io(FPVM_PORT_SERIAL + 1, true, 1, 1, "\x02"), VCPU_STOP);
	ck_assert_uint_eq(zone_calls[1], KVM_UNREGISTER_COALESCED_MMIO);
	expect_stopped(VM_STOP_ERROR, "KVM_UNREGISTER_COALESCED_MMIO (serial THR)");
	zone_end(ring);
}
END_TEST

/* A zone KVM will not add only costs the exits it would have saved. */
START_TEST(coalesced_zone_refused_means_plain_exits)
{
	struct kvm_coalesced_mmio_ring *ring = zone_start(true);

	ck_assert_ptr_null(f.vm.coalesced);
	ck_assert(!vm_stopping(&f.vm));
	zone_end(ring);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("exit");
	TCase *tc = tcase_create("dispatch"), *c = tcase_create("ctl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, serial_output_via_io_exit);
	tcase_add_test(tc, unknown_port_reads_all_ones);
	tcase_add_test(tc, unknown_mmio_reads_all_ones);
	tcase_add_test(tc, strict_io_is_fatal);
	tcase_add_test(tc, debug_exit_sets_status);
	tcase_add_test(tc, debug_exit_values);
	tcase_add_test(tc, first_stop_wins);
	tcase_add_test(tc, exit_reasons);
	tcase_add_test(tc, exit_shutdown);
	tcase_add_test(tc, shutdown_after_a_reset_shows_the_last_state_seen);
	tcase_add_test(tc, reset_state_is_told_apart);
	tcase_add_test(tc, exit_fail_entry);
	tcase_add_test(tc, exit_internal_error_with_instruction);
	tcase_add_test(tc, exit_internal_error_with_data);
	tcase_add_test(tc, exit_system_event);
	tcase_add_test(tc, exit_unexpected);
	tcase_add_test(tc, coalesced_thr_writes_come_before_the_next_exit);
	tcase_add_test(tc, coalesced_zone_follows_ier_and_mcr);
	tcase_add_test(tc, coalesced_zone_kept_by_kvm_stops_the_vm);
	tcase_add_test(tc, coalesced_zone_refused_means_plain_exits);
	tcase_add_checked_fixture(c, setup, teardown);
	tcase_add_test(c, ctl_exception_report);
	tcase_add_test(c, ctl_panic_is_sanitised);
	tcase_add_test(c, ctl_hostile_requests_are_ignored);
	tcase_add_test(c, ctl_warnings_are_bounded);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, c);
	return run_suite(s);
}
