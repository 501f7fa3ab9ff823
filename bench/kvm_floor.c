// SPDX-License-Identifier: MIT
/*
 * The raw KVM floor: the fewest ioctls that boot a static ELF64 guest in
 * long mode and read its FPU state back, with no checks beyond what KVM
 * itself demands.  bench_startup runs it beside fpvm on the same guest
 * (guest/min.S), so the ratio is what fpvm's own work costs.
 *
 * It does what any VMM that runs FPU code must: KVM_SET_CPUID2 with KVM's
 * supported table (without it the guest's CPUID is empty), identity page
 * tables, a 64-bit GDT, and KVM_GET_XSAVE at the end.  Usage: kvm_floor
 * GUEST.elf; its status is the value the guest writes to port 0xf4.
 *
 * It is also the raw exit loop of bench_exits (guest/exits.S): every other
 * port I/O and every MMIO exit goes straight back into KVM_RUN, so the
 * first GiB is identity-mapped for the guest's MMIO address.
 *
 * kvm_floor --xcr0 HEX GUEST.elf gives the guest that XCR0 (CR4.OSXSAVE,
 * KVM_SET_XCRS), as fpvm gives its guests their default XCR0: KVM then
 * switches XCR0 and PKRU around every entry where they differ from the
 * host's (kvm_load_guest_xsave_state()), a cost of the guest's state that
 * any VMM giving it those features pays.
 *
 * kvm_floor --thread GUEST.elf runs KVM_RUN on a thread of its own, created
 * after the vCPU and joined at the end, as a VMM with a thread per vCPU
 * (fpvm, kvmtool, QEMU) must: what the thread costs on a given KVM and
 * scheduler is then measured, not guessed (bench_startup).
 */
#include <elf.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEM_SIZE	(2UL << 20)
#define GDT		0x1000
#define PML4		0x2000
#define PDPT		0x3000
#define PD		0x4000
#define STACK_TOP	0x80000

static int fail(const char *what)
{
	perror(what);
	return 70;
}

static int load_elf(const char *path, uint8_t *mem, uint64_t *entry)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	uint8_t *img;
	Elf64_Ehdr *eh;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	img = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return -1;
	eh = (Elf64_Ehdr *)img;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr *ph = (Elf64_Phdr *)(img + eh->e_phoff + i * eh->e_phentsize);

		if (ph->p_type == PT_LOAD && ph->p_paddr + ph->p_memsz <= MEM_SIZE)
			memcpy(mem + ph->p_paddr, img + ph->p_offset, ph->p_filesz);
	}
	*entry = eh->e_entry;
	munmap(img, (size_t)st.st_size);
	return 0;
}

static void long_mode(uint8_t *mem, struct kvm_sregs *s)
{
	uint64_t *gdt = (uint64_t *)(mem + GDT);
	struct kvm_segment code = {
		.selector = 0x08, .limit = 0xffffffff, .type = 11, .present = 1, .s = 1,
		.l = 1, .g = 1,
	};
	struct kvm_segment data = {
		.selector = 0x10, .limit = 0xffffffff, .type = 3, .present = 1, .s = 1,
		.db = 1, .g = 1,
	};

	gdt[1] = 0x00af9b000000ffffULL;		/* 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;		/* data */
	*(uint64_t *)(mem + PML4) = PDPT | 3;
	*(uint64_t *)(mem + PDPT) = PD | 3;
	for (uint64_t i = 0; i < 512; i++)	/* 2 MiB pages: the first GiB */
		((uint64_t *)(mem + PD))[i] = (i << 21) | 0x83;
	s->cs = code;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->gdt.base = GDT;
	s->gdt.limit = 23;
	s->cr3 = PML4;
	s->cr4 = (1 << 5) | (1 << 9) | (1 << 10);	/* PAE, OSFXSR, OSXMMEXCPT */
	s->cr0 = 0x80050033;				/* PG, AM, WP, NE, ET, MP, PE */
	s->efer = (1 << 8) | (1 << 10);			/* LME, LMA */
}

struct run_loop {
	int vcpu;
	struct kvm_run *run;
	int status;		/* < 0 until the guest writes port 0xf4 */
	int failed;
	char out[4096];
	size_t n_out;
};

static void *run_loop(void *arg)
{
	struct run_loop *l = arg;
	struct kvm_run *run = l->run;

	while (l->status < 0) {
		if (ioctl(l->vcpu, KVM_RUN, 0)) {
			l->failed = fail("KVM_RUN");
			break;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason == KVM_EXIT_MMIO)
			continue;
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "kvm_floor: exit reason %u\n", run->exit_reason);
			l->failed = 70;
			break;
		}
		if (run->io.port == 0xf4)
			l->status = *((uint8_t *)run + run->io.data_offset);
		else if (run->io.port == 0x3f8 && l->n_out < sizeof(l->out))
			l->out[l->n_out++] = *((char *)run + run->io.data_offset);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct kvm_userspace_memory_region region = { .memory_size = MEM_SIZE };
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(cpuid->entries[0]));
	static struct kvm_xsave xsave;
	struct kvm_regs regs = { .rflags = 2, .rsp = STACK_TOP };
	struct kvm_sregs sregs;
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	static struct run_loop loop = { .status = -1 };
	int kvm, vm, vcpu, thread = 0;
	struct kvm_run *run;
	pthread_t t;
	uint64_t entry;
	uint8_t *mem;
	long run_size;

	if (argc >= 3 && !strcmp(argv[1], "--thread")) {
		thread = 1;
		argv++;
		argc--;
	}
	if (argc == 4 && !strcmp(argv[1], "--xcr0")) {
		xcrs.xcrs[0].value = strtoull(argv[2], NULL, 16);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 || !cpuid) {
		fprintf(stderr, "usage: kvm_floor [--thread] [--xcr0 HEX] GUEST.elf\n");
		return 64;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (vm < 0 || mem == MAP_FAILED)
		return fail("KVM_CREATE_VM");
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	if (load_elf(argv[1], mem, &entry))
		return fail(argv[1]);
	regs.rip = entry;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		return fail("KVM_CREATE_VCPU");
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	cpuid->nent = 256;
	if (run == MAP_FAILED || ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) ||
	    ioctl(vcpu, KVM_SET_CPUID2, cpuid))
		return fail("CPUID");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	long_mode(mem, &sregs);
	if (xcrs.xcrs[0].value)
		sregs.cr4 |= 1 << 18;	/* OSXSAVE */
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_SREGS");
	if (xcrs.xcrs[0].value && ioctl(vcpu, KVM_SET_XCRS, &xcrs))
		return fail("KVM_SET_XCRS");
	loop.vcpu = vcpu;
	loop.run = run;
	if (!thread)
		run_loop(&loop);
	else if (pthread_create(&t, NULL, run_loop, &loop) || pthread_join(t, NULL))
		return fail("pthread_create");
	if (loop.failed)
		return loop.failed;
	if (ioctl(vcpu, KVM_GET_XSAVE, &xsave))
		return fail("KVM_GET_XSAVE");
	if (write(STDOUT_FILENO, loop.out, loop.n_out) < 0)
		return fail("write");
	return loop.status < 0 ? 0 : loop.status;
}
