// SPDX-License-Identifier: MIT
/*
 * The stub (stub.h): the listening socket, the stub's thread and the
 * target operations over a VM that server.c's protocol drives.  While gdb
 * holds the guest stopped every vCPU is parked (vmm/pause.h); a step runs
 * one vCPU alone; a breakpoint or step comes back through the VM's
 * debug_exit hook as KVM_EXIT_DEBUG on the vCPU's thread, which parks
 * every vCPU and wakes this thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../vcpu/vcpu.h"
#include "../vmm/pause.h"
#include "../vmm/vm.h"
#include "../vmm/vm_snapshot.h"
#include "mem.h"
#include "server.h"
#include "stub.h"

struct gdb_stub {
	struct gdb_spec spec;
	char address[160];
	bool wait;
	int listen_fd, client_fd;
	int event_fd;		/* a vCPU stopped for the debugger */
	int quit_fd;		/* the VM ended: gdb_stub_close() */
	int status;
	pthread_t thread;
	bool started;
	struct vm *vm;
	bool guest_running;	/* false while the stub holds every vCPU parked */

	pthread_mutex_t lock;	/* the first debug exit since the last resume */
	bool have_stop;
	struct gdb_stop stop;
	atomic_bool stop_flag;	/* vm_request_pause()'s flag; nothing else reads it */

	struct gdb_rx rx;
	struct gdb_server srv;
	char out[2 * GDB_PACKET_MAX + 8];
};

int gdb_spec_parse(const char *spec, struct gdb_spec *out, struct fpvm_error *err)
{
	const char *colon;
	char *end;
	unsigned long port;

	memset(out, 0, sizeof(*out));
	if (!strncmp(spec, "unix:", 5)) {
		if (!spec[5] || strlen(spec + 5) >= sizeof(out->path))
			return fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL, "gdb socket '%s': %s", spec,
					 spec[5] ? "path too long" : "no path");
		out->unix_socket = true;
		strcpy(out->path, spec + 5);
		return 0;
	}
	if (strncmp(spec, "tcp:", 4))
		return fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL,
				 "gdb socket '%s': not tcp:HOST:PORT or unix:PATH", spec);
	spec += 4;
	colon = strrchr(spec, ':');
	if (colon && (size_t)(colon - spec) >= sizeof(out->host))
		return fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL, "gdb socket: host too long");
	if (colon)
		memcpy(out->host, spec, (size_t)(colon - spec));
	if (!out->host[0])
		strcpy(out->host, "127.0.0.1");
	errno = 0;
	port = strtoul(colon ? colon + 1 : spec, &end, 10);
	if (errno || *end || end == (colon ? colon + 1 : spec) || !port || port > 65535 ||
	    !(colon ? colon + 1 : spec)[0] || (colon ? colon[1] : spec[0]) == '-' ||
	    (colon ? colon[1] : spec[0]) == '+')
		return fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL,
				 "gdb socket: port '%s' is not a number from 1 to 65535",
				 colon ? colon + 1 : spec);
	out->port = (unsigned int)port;
	{
		struct in_addr a;

		if (inet_pton(AF_INET, out->host, &a) != 1)
			return fpvm_fail(err, FPVM_ERR_CONFIG, EINVAL,
					 "gdb socket: host '%s' is not an IPv4 address", out->host);
	}
	return 0;
}

static int listen_on(struct gdb_stub *stub, struct fpvm_error *err)
{
	const struct gdb_spec *sp = &stub->spec;
	int fd, one = 1;

	if (sp->unix_socket) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		mode_t old;
		int r;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "socket: %s", strerror(errno));
		memcpy(sun.sun_path, sp->path, strlen(sp->path));
		/* The socket file is created 0600 (bind takes the umask): only its owner connects. */
		old = umask(0177);
		r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
		umask(old);
		if (r) {
			int e = errno;

			close(fd);
			return fpvm_fail(err, e == EADDRINUSE ? FPVM_ERR_INPUT : FPVM_ERR_SYSTEM, e,
					 "gdb socket %s: %s", sp->path, strerror(e));
		}
		snprintf(stub->address, sizeof(stub->address), "%s", sp->path);
	} else {
		struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(sp->port) };

		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "socket: %s", strerror(errno));
		inet_pton(AF_INET, sp->host, &sin.sin_addr);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
			int e = errno;

			close(fd);
			return fpvm_fail(err, FPVM_ERR_SYSTEM, e, "gdb socket %s:%u: %s", sp->host,
					 sp->port, strerror(e));
		}
		snprintf(stub->address, sizeof(stub->address), "%s:%u", sp->host, sp->port);
	}
	if (listen(fd, 1)) {
		int e = errno;

		close(fd);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, e, "gdb socket %s: listen: %s",
				 stub->address, strerror(e));
	}
	stub->listen_fd = fd;
	return 0;
}

int gdb_stub_open(struct gdb_stub **out, const struct gdb_spec *spec, bool wait,
		  struct fpvm_error *err)
{
	struct gdb_stub *stub = calloc(1, sizeof(*stub));
	int r;

	if (!stub)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	stub->spec = *spec;
	stub->wait = wait;
	stub->client_fd = -1;
	pthread_mutex_init(&stub->lock, NULL);
	stub->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	stub->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stub->event_fd < 0 || stub->quit_fd < 0) {
		r = fpvm_fail(err, FPVM_ERR_SYSTEM, errno, "eventfd: %s", strerror(errno));
	} else {
		r = listen_on(stub, err);
	}
	if (r) {
		if (stub->event_fd >= 0)
			close(stub->event_fd);
		if (stub->quit_fd >= 0)
			close(stub->quit_fd);
		free(stub);
		return r;
	}
	*out = stub;
	return 0;
}

const char *gdb_stub_address(const struct gdb_stub *stub)
{
	return stub->address;
}

/* ---- the target: a VM's vCPUs ---- */

static struct vcpu *vcpu_of(struct gdb_stub *stub, unsigned int cpu)
{
	return cpu < stub->vm->nr_vcpus ? stub->vm->vcpus[cpu] : NULL;
}

static unsigned int t_nr_cpus(void *t)
{
	return ((struct gdb_stub *)t)->vm->nr_vcpus;
}

static int t_read_cpu(void *t, unsigned int cpu, struct gdb_cpu *c)
{
	struct vcpu *v = vcpu_of(t, cpu);
	struct fpvm_error err = { 0 };
	int r;

	if (!v)
		return -ENOENT;
	memset(c, 0, sizeof(*c));
	r = kvm_vcpu_get_regs(v->kvm, v->fd, &c->regs);
	if (!r)
		r = kvm_vcpu_get_sregs(v->kvm, v->fd, &c->sregs);
	/*
	 * An image KVM returned that fails validation (the xsave-beyond-xcr0
	 * quirk) is still decoded for reading: gdb shows what KVM holds, and
	 * a write encodes only the vCPU's own components.
	 */
	if (!r && vcpu_sync_fpstate(v, &err) && err.cls != FPVM_ERR_KVM_STATE)
		r = -EIO;
	if (!r)
		r = fpstate_decode(v->guest_fps.layout, v->guest_fps.xfeatures, v->guest_fps.buf,
				   v->guest_fps.size, &c->fp);
	return r;
}

static int t_write_cpu(void *t, unsigned int cpu, const struct gdb_cpu *c, unsigned int changed)
{
	struct vcpu *v = vcpu_of(t, cpu);
	struct fpvm_error err = { 0 };
	struct fpstate_diag diag;
	uint8_t *image;
	int r = 0;

	if (!v)
		return -ENOENT;
	/* The image first: the one part that can be refused, before anything changed. */
	if (changed & GDB_CHANGED_FP) {
		image = aligned_alloc(64, (v->guest_fps.size + 63) & ~63U);
		if (!image)
			return -ENOMEM;
		r = gdb_fp_encode(&v->guest_fps, &c->fp, image, &diag);
		if (!r && vcpu_set_fpstate(v, image, &err))
			r = -EINVAL;
		free(image);
		if (r)
			return r;
	}
	if (changed & GDB_CHANGED_SREGS)
		r = kvm_vcpu_set_sregs(v->kvm, v->fd, &c->sregs);
	if (!r && (changed & GDB_CHANGED_REGS))
		r = kvm_vcpu_set_regs(v->kvm, v->fd, &c->regs);
	return r;
}

struct phys_ctx {
	struct vm *vm;
};

static int phys_read(void *ctx, uint64_t gpa, uint64_t *val)
{
	const void *p = guest_mem_ptr(&((struct phys_ctx *)ctx)->vm->mem, gpa, 8);

	if (!p)
		return -EFAULT;
	memcpy(val, p, 8);
	return 0;
}

/* Page by page through the guest's tables; RAM only, never MMIO or host memory. */
static int access_mem(struct gdb_stub *stub, unsigned int cpu, uint64_t gva, void *buf,
		      size_t len, bool write)
{
	struct vcpu *v = vcpu_of(stub, cpu);
	struct phys_ctx ctx = { stub->vm };
	struct kvm_sregs s;
	struct gdb_mmu mmu;
	uint8_t *b = buf;
	int r;

	if (!v)
		return -ENOENT;
	r = kvm_vcpu_get_sregs(v->kvm, v->fd, &s);
	if (r)
		return r;
	mmu = (struct gdb_mmu){ s.cr0, s.cr3, s.cr4, s.efer };
	while (len) {
		uint64_t gpa, room;
		size_t n;
		uint8_t *host;

		r = gdb_translate(&mmu, phys_read, &ctx, gva, &gpa, &room);
		if (r)
			return r;
		n = room < len ? (size_t)room : len;
		host = guest_mem_ptr(&stub->vm->mem, gpa, n);
		if (!host)
			return -EFAULT;
		if (write)
			memcpy(host, b, n);
		else
			memcpy(b, host, n);
		b += n;
		gva += n;
		len -= n;
	}
	return 0;
}

static int t_read_mem(void *t, unsigned int cpu, uint64_t gva, void *buf, size_t len)
{
	return access_mem(t, cpu, gva, buf, len, false);
}

static int t_write_mem(void *t, unsigned int cpu, uint64_t gva, const void *buf, size_t len)
{
	return access_mem(t, cpu, gva, (void *)buf, len, true);
}

/* KVM_SET_GUEST_DEBUG on every vCPU (api.rst): breakpoints, debug registers, one step. */
static int set_debug(struct gdb_stub *stub, int step, const struct gdb_debug *dbg)
{
	for (unsigned int i = 0; i < stub->vm->nr_vcpus; i++) {
		struct vcpu *v = stub->vm->vcpus[i];
		struct kvm_guest_debug g = { 0 };
		int r;

		if (dbg->sw || dbg->hw || step == (int)i)
			g.control = KVM_GUESTDBG_ENABLE;
		if (dbg->sw)
			g.control |= KVM_GUESTDBG_USE_SW_BP;
		if (dbg->hw) {
			g.control |= KVM_GUESTDBG_USE_HW_BP;
			memcpy(g.arch.debugreg, dbg->dr, sizeof(dbg->dr));
			g.arch.debugreg[7] = dbg->dr7;
		}
		/* A step with interrupts blocked stays in the code stepped, not its handler. */
		if (step == (int)i)
			g.control |= KVM_GUESTDBG_SINGLESTEP | KVM_GUESTDBG_BLOCKIRQ;
		r = kvm_vcpu_set_guest_debug(v->kvm, v->fd, &g);
		/* Kernels before 5.16 have no BLOCKIRQ: a step may then enter a handler. */
		if (r == -EINVAL && (g.control & KVM_GUESTDBG_BLOCKIRQ)) {
			g.control &= ~KVM_GUESTDBG_BLOCKIRQ;
			r = kvm_vcpu_set_guest_debug(v->kvm, v->fd, &g);
		}
		if (r)
			return r;
	}
	return 0;
}

static int t_resume(void *t, int step, const struct gdb_debug *dbg)
{
	struct gdb_stub *stub = t;
	int r = set_debug(stub, step, dbg);

	if (r)
		return r;
	pthread_mutex_lock(&stub->lock);
	stub->have_stop = false;
	pthread_mutex_unlock(&stub->lock);
	stub->guest_running = true;
	vm_resume_solo(stub->vm, step);
	return 0;
}

/* MSR_IA32_XSS (SDM vol. 4): the supervisor state components XSAVES manages. */
#define MSR_IA32_XSS	0xda0

static int monitor_xcr0(struct gdb_stub *stub, struct vcpu *v, FILE *f)
{
	/* struct kvm_msrs ends in a flexible array: room for one entry after it. */
	union {
		struct kvm_msrs hdr;
		uint8_t raw[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} msrs = { .hdr.nmsrs = 1 };
	struct fpvm_error err = { 0 };
	char names[256];
	int r;

	(void)stub;
	if (vcpu_sync_xcr0(v, &err))
		return -EIO;
	fprintf(f, "vcpu %u: XCR0 0x%llx (%s)\n", v->id, (unsigned long long)v->xcr0,
		xfeatures_str(v->xcr0, names, sizeof(names)));
	msrs.hdr.entries[0].index = MSR_IA32_XSS;
	r = kvm_fd_ioctl(v->kvm, v->fd, KVM_GET_MSRS, &msrs);
	if (r == 1)
		fprintf(f, "vcpu %u: XSS 0x%llx\n", v->id,
			(unsigned long long)msrs.hdr.entries[0].data);
	else
		fprintf(f, "vcpu %u: XSS not readable\n", v->id);
	return 0;
}

static int monitor_snapshot(struct gdb_stub *stub, const char *dir, FILE *f)
{
	struct vm_config cfg = *stub->vm->cfg;
	const struct vm_config *old = stub->vm->cfg;
	struct fpvm_error err = { 0 };
	int r;

	if (!*dir) {
		fprintf(f, "usage: monitor snapshot DIR\n");
		return -EINVAL;
	}
	/* Every vCPU is parked while gdb holds the guest: the state a snapshot needs. */
	cfg.snapshot_dir = dir;
	stub->vm->cfg = &cfg;
	r = vm_snapshot_save(stub->vm, "gdb monitor", &err);
	stub->vm->cfg = old;
	if (r)
		fprintf(f, "snapshot: %s\n", err.msg);
	else
		fprintf(f, "snapshot written to %s\n", dir);
	return r ? -EIO : 0;
}

static int t_monitor(void *t, unsigned int cpu, const char *cmd, char *out, size_t size)
{
	struct gdb_stub *stub = t;
	struct vcpu *v = vcpu_of(stub, cpu);
	struct fpvm_error err = { 0 };
	FILE *f = fmemopen(out, size, "w");
	int r = 0;

	if (!f || !v) {
		if (f)
			fclose(f);
		return -ENOMEM;
	}
	setvbuf(f, NULL, _IONBF, 0);
	if (!strcmp(cmd, "fpstate")) {
		struct fpregs *fp = malloc(sizeof(*fp));

		if (!fp || vcpu_sync_fpstate(v, &err) ||
		    fpstate_decode(v->guest_fps.layout, v->guest_fps.xfeatures, v->guest_fps.buf,
				   v->guest_fps.size, fp)) {
			fprintf(f, "fpstate: %s\n", err.msg[0] ? err.msg : "cannot decode");
			r = -EIO;
		} else {
			fprintf(f, "vcpu %u:\n", v->id);
			fpregs_print_text(f, fp);
		}
		free(fp);
	} else if (!strcmp(cmd, "xcr0")) {
		r = monitor_xcr0(stub, v, f);
	} else if (!strcmp(cmd, "host-check")) {
		fprintf(f, "host registers checked across KVM_RUN: %s; changes seen: %lu\n",
			stub->vm->cfg->check_host_fpstate ? "yes" : "no (--check-host-fpstate)",
			atomic_load(&stub->vm->host_fpstate_changes));
	} else if (!strncmp(cmd, "snapshot", 8) && (!cmd[8] || cmd[8] == ' ')) {
		r = monitor_snapshot(stub, cmd[8] ? cmd + 9 : "", f);
	} else {
		fprintf(f, "fpvm monitor commands: fpstate, xcr0, host-check, snapshot DIR\n");
		r = strcmp(cmd, "help") ? -EINVAL : 0;
	}
	fclose(f);
	return r;
}

static void t_kill(void *t)
{
	struct gdb_stub *stub = t;

	vm_request_stop(stub->vm, VM_STOP_SIGNAL, SIGTERM, 0, "killed by the debugger");
	vm_resume_vcpus(stub->vm);
}

static void t_detach(void *t, const struct gdb_debug *dbg)
{
	struct gdb_stub *stub = t;

	set_debug(stub, -1, dbg);
	stub->guest_running = true;
	vm_resume_vcpus(stub->vm);
}

static const struct gdb_target_ops vm_target = {
	.nr_cpus = t_nr_cpus,
	.read_cpu = t_read_cpu,
	.write_cpu = t_write_cpu,
	.read_mem = t_read_mem,
	.write_mem = t_write_mem,
	.resume = t_resume,
	.monitor = t_monitor,
	.kill = t_kill,
	.detach = t_detach,
};

/* ---- the connection ---- */

static void send_packet(void *ctx, const char *data, size_t len)
{
	struct gdb_stub *stub = ctx;
	size_t n = gdb_frame(stub->out, sizeof(stub->out), data, len);

	for (size_t at = 0; at < n;) {
		ssize_t w = send(stub->client_fd, stub->out + at, n - at, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* the read side sees the connection gone */
		at += (size_t)w;
	}
}

static void stop_guest(struct gdb_stub *stub)
{
	if (stub->guest_running)
		vm_pause_vcpus(stub->vm);
	stub->guest_running = false;
}

/* A debug exit or Ctrl-C: every vCPU parked, then the stop reply. */
static void report_stop(struct gdb_stub *stub, bool interrupt)
{
	struct gdb_stop stop = { .cpu = stub->srv.c_cpu, .interrupted = true };

	stop_guest(stub);
	pthread_mutex_lock(&stub->lock);
	if (stub->have_stop && !interrupt)
		stop = stub->stop;
	stub->have_stop = false;
	pthread_mutex_unlock(&stub->lock);
	gdb_server_stopped(&stub->srv, &stop);
}

/* 0: go on; 1: this client is done. */
static int client_bytes(struct gdb_stub *stub, const uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		enum gdb_rx_event ev = gdb_rx_byte(&stub->rx, buf[i]);
		enum gdb_action a;

		switch (ev) {
		case GDB_RX_PACKET:
			if (!stub->srv.no_ack)
				send(stub->client_fd, "+", 1, MSG_NOSIGNAL);
			/* All-stop: while the guest runs, gdb sends nothing but Ctrl-C. */
			if (stub->guest_running)
				break;
			a = gdb_server_packet(&stub->srv, stub->rx.buf, stub->rx.len);
			if (a == GDB_DETACHED || a == GDB_KILLED)
				return 1;
			break;
		case GDB_RX_BAD:
			send(stub->client_fd, "-", 1, MSG_NOSIGNAL);
			break;
		case GDB_RX_OVERLONG:
			/* Longer than the PacketSize announced: not gdb, or not sane. */
			return 1;
		case GDB_RX_INTERRUPT:
			if (stub->guest_running)
				report_stop(stub, true);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* One client, from accept to its end; returns true when the stub must end too. */
static bool serve(struct gdb_stub *stub)
{
	struct fpvm_error err = { 0 };
	uint8_t buf[4096];
	bool quit = false;

	stop_guest(stub);
	if (vcpu_sync_xcr0(stub->vm->vcpus[0], &err))
		stub->vm->vcpus[0]->xcr0 = stub->vm->fpu.xcr0;
	gdb_server_init(&stub->srv, &vm_target, stub, stub->vm->vcpus[0]->xcr0);
	stub->srv.send = send_packet;
	stub->srv.send_ctx = stub;
	gdb_rx_init(&stub->rx);
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = stub->client_fd, .events = POLLIN },
			{ .fd = stub->event_fd, .events = POLLIN },
			{ .fd = stub->quit_fd, .events = POLLIN },
		};
		uint64_t count;
		ssize_t n;

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[2].revents & POLLIN) {
			char w[8];

			snprintf(w, sizeof(w), "W%02x", stub->status & 0xff);
			send_packet(stub, w, strlen(w));
			quit = true;
			break;
		}
		if (pfd[1].revents & POLLIN) {
			if (read(stub->event_fd, &count, sizeof(count)) < 0)
				count = 0;
			if (stub->guest_running)
				report_stop(stub, false);
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(stub->client_fd, buf, sizeof(buf), 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || client_bytes(stub, buf, (size_t)n))
				break;
		}
	}
	/* Gone without detaching: the guest runs on, with no breakpoint left in it. */
	if (!quit && !vm_stopping(stub->vm)) {
		struct gdb_debug none = { 0 };

		stop_guest(stub);
		gdb_server_remove_all(&stub->srv);
		t_detach(stub, &none);
	}
	return quit || vm_stopping(stub->vm);
}

static void *stub_thread(void *arg)
{
	struct gdb_stub *stub = arg;

	struct fpvm_error err = { 0 };

	pthread_setname_np(pthread_self(), "fpvm-gdb");
	/* From here on, what a client makes this thread do is on its own allow-list. */
	if (stub->vm->cfg->seccomp != SECCOMP_OFF &&
	    seccomp_filter_thread(SECCOMP_THREAD_GDB, &err)) {
		vm_request_stop(stub->vm, VM_STOP_ERROR, err.cls, 0, "gdb stub: %s", err.msg);
		return NULL;
	}
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = stub->listen_fd, .events = POLLIN },
			{ .fd = stub->quit_fd, .events = POLLIN },
		};
		int one = 1;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents & POLLIN)
			break;
		if (!(pfd[0].revents & POLLIN))
			continue;
		stub->client_fd = accept4(stub->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (stub->client_fd < 0)
			continue;
		if (!stub->spec.unix_socket)
			setsockopt(stub->client_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (serve(stub)) {
			close(stub->client_fd);
			stub->client_fd = -1;
			break;
		}
		close(stub->client_fd);
		stub->client_fd = -1;
	}
	return NULL;
}

/* ---- the VM's hooks ---- */

/* Before any vCPU runs: with --gdb-wait every vCPU parks at once, held for gdb. */
static void hook_start(struct vm *vm)
{
	struct gdb_stub *stub = vm->ops_data;

	stub->vm = vm;
	stub->guest_running = !stub->wait;
	if (stub->wait)
		atomic_store(&vm->pausing, true);
	if (!pthread_create(&stub->thread, NULL, stub_thread, stub))
		stub->started = true;
	else
		vm_request_stop(vm, VM_STOP_ERROR, FPVM_ERR_SYSTEM, 0, "cannot start the gdb thread");
}

/* On the vCPU's thread: note the first stop, park every vCPU, wake the stub. */
static bool hook_debug_exit(struct vm *vm, struct vcpu *vcpu)
{
	struct gdb_stub *stub = vm->ops_data;
	const struct kvm_debug_exit_arch *d = &vcpu->run->debug.arch;
	uint64_t one = 1;

	pthread_mutex_lock(&stub->lock);
	if (!stub->have_stop) {
		stub->have_stop = true;
		stub->stop = (struct gdb_stop){ .cpu = vcpu->id, .exception = d->exception,
						.pc = d->pc, .dr6 = d->dr6 };
	}
	pthread_mutex_unlock(&stub->lock);
	vm_request_pause(vm, &stub->stop_flag);
	if (write(stub->event_fd, &one, sizeof(one)) < 0)
		return true;	/* already readable */
	return true;
}

const struct vm_ops gdb_stub_vm_ops = {
	.start = hook_start,
	.debug_exit = hook_debug_exit,
};

void gdb_stub_close(struct gdb_stub *stub, int status)
{
	uint64_t one = 1;

	if (!stub)
		return;
	stub->status = status;
	if (write(stub->quit_fd, &one, sizeof(one)) < 0)
		one = 0;
	if (stub->started)
		pthread_join(stub->thread, NULL);
	close(stub->listen_fd);
	if (stub->spec.unix_socket)
		unlink(stub->spec.path);
	close(stub->event_fd);
	close(stub->quit_fd);
	pthread_mutex_destroy(&stub->lock);
	free(stub);
}
