// SPDX-License-Identifier: MIT
/* Opening /dev/kvm: the usual failures get a message that says what to do. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kvm.h"

struct required_cap {
	int cap;
	const char *name;
};

static const struct required_cap required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_XSAVE, "KVM_CAP_XSAVE" },
	{ KVM_CAP_XCRS, "KVM_CAP_XCRS" },
};

static int open_error(const char *path, int errnum, struct fpvm_error *err)
{
	switch (errnum) {
	case ENOENT:
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errnum,
				 "%s: no such device (is the kvm module loaded, or is this a VM "
				 "without nested virtualization?)", path);
	case EACCES:
	case EPERM:
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errnum,
				 "%s: permission denied (add yourself to the 'kvm' group or "
				 "run as root)", path);
	case ENXIO:
	case ENODEV:
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errnum,
				 "%s: device not available (virtualization disabled in "
				 "firmware?)", path);
	default:
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errnum, "%s: %s", path,
				 strerror(errnum));
	}
}

static int sys_ioctl(int fd, unsigned long request, unsigned long arg)
{
	return ioctl(fd, request, arg);
}

const struct kvm_ops kvm_sys_ops = { .ioctl = sys_ioctl };

static int kvm_ioctl(struct kvm *kvm, unsigned long request, unsigned long arg)
{
	return kvm->ops->ioctl(kvm->fd, request, arg);
}

/*
 * KVM computes the whole table before it finds a buffer too small (E2BIG),
 * so a short first guess costs a full second call: start at the kernel's
 * KVM_MAX_CPUID_ENTRIES (256), which every KVM to date fits.
 */
static int get_supported_cpuid(struct kvm *kvm, struct fpvm_error *err)
{
	for (int nent = 256; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

		if (!c)
			return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
		c->nent = nent;
		if (!kvm_ioctl(kvm, KVM_GET_SUPPORTED_CPUID, (unsigned long)c)) {
			kvm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errno,
					 "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	}
	return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
}

int kvm_open(struct kvm *kvm, const char *path, struct fpvm_error *err)
{
	return kvm_open_ops(kvm, path, &kvm_sys_ops, err);
}

int kvm_open_ops(struct kvm *kvm, const char *path, const struct kvm_ops *ops,
		 struct fpvm_error *err)
{
	struct stat st;
	int r;

	*kvm = (struct kvm){ .ops = ops, .fd = -1 };
	/* open("") fails with ENOENT, which would read ": no such device". */
	if (!*path)
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, ENOENT, "an empty path names no KVM device");
	kvm->fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0)
		return open_error(path, errno, err);
	if (fstat(kvm->fd, &st) || !S_ISCHR(st.st_mode)) {
		r = fpvm_fail(err, FPVM_ERR_UNAVAILABLE, ENODEV, "%s: not a KVM device", path);
		goto fail;
	}
	kvm->api_version = kvm_ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (kvm->api_version < 0) {
		r = fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errno, "%s: not a KVM device (%s)", path,
			      strerror(errno));
		goto fail;
	}
	if (kvm->api_version != KVM_API_VERSION) {
		r = fpvm_fail(err, FPVM_ERR_UNAVAILABLE, EPROTO,
			      "%s: KVM API version %d, fpvm needs %d", path, kvm->api_version,
			      KVM_API_VERSION);
		goto fail;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (kvm_ioctl(kvm, KVM_CHECK_EXTENSION, (unsigned long)required_caps[i].cap) <= 0) {
			r = fpvm_fail(err, FPVM_ERR_UNAVAILABLE, ENOTSUP,
				      "%s: required capability %s is missing", path,
				      required_caps[i].name);
			goto fail;
		}
	}
	kvm->vcpu_mmap_size = kvm_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		r = fpvm_fail(err, FPVM_ERR_UNAVAILABLE, EINVAL, "%s: KVM_GET_VCPU_MMAP_SIZE failed",
			      path);
		goto fail;
	}
	kvm->nr_vcpus = kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	kvm->max_vcpus = kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (kvm->nr_vcpus <= 0)
		kvm->nr_vcpus = 4;	/* api.rst: assume 4 when the cap is absent */
	if (kvm->max_vcpus <= 0)
		kvm->max_vcpus = kvm->nr_vcpus;
	kvm->has_tss_addr = kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0;
	kvm->sync_regs = kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	if (kvm->sync_regs < 0)
		kvm->sync_regs = 0;
	/* The ring is the vCPU mapping's page KVM_COALESCED_MMIO_PAGE_OFFSET. */
	kvm->has_coalesced_pio = kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0 &&
				 kvm->vcpu_mmap_size >= (KVM_COALESCED_MMIO_PAGE_OFFSET + 1) * 4096;
	kvm->has_split_irqchip = kvm_ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SPLIT_IRQCHIP) > 0;
	r = get_supported_cpuid(kvm, err);
	if (r)
		goto fail;
	return 0;
fail:
	kvm_close(kvm);
	return r;
}

int kvm_msr_index_list(struct kvm *kvm, struct fpvm_error *err)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	if (kvm->msr_index)
		return 0;
	/* A list too small fails with E2BIG and says how many there are (api.rst). */
	if (kvm_ioctl(kvm, KVM_GET_MSR_INDEX_LIST, (unsigned long)&probe) && errno != E2BIG)
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errno, "KVM_GET_MSR_INDEX_LIST: %s",
				 strerror(errno));
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	if (!list)
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	list->nmsrs = probe.nmsrs;
	if (kvm_ioctl(kvm, KVM_GET_MSR_INDEX_LIST, (unsigned long)list)) {
		free(list);
		return fpvm_fail(err, FPVM_ERR_UNAVAILABLE, errno, "KVM_GET_MSR_INDEX_LIST: %s",
				 strerror(errno));
	}
	kvm->msr_index = malloc(list->nmsrs * sizeof(uint32_t) + 1);
	if (!kvm->msr_index) {
		free(list);
		return fpvm_fail(err, FPVM_ERR_SYSTEM, ENOMEM, "out of memory");
	}
	memcpy(kvm->msr_index, list->indices, list->nmsrs * sizeof(uint32_t));
	kvm->nr_msr_index = list->nmsrs;
	free(list);
	return 0;
}

void kvm_close(struct kvm *kvm)
{
	if (kvm->fd >= 0)
		close(kvm->fd);
	free(kvm->cpuid);
	kvm->cpuid = NULL;
	free(kvm->msr_index);
	kvm->msr_index = NULL;
	kvm->nr_msr_index = 0;
	kvm->fd = -1;
}

const struct kvm_cpuid_entry2 *kvm_cpuid_find(const struct kvm_cpuid2 *cpuid, uint32_t function,
					      uint32_t index)
{
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		if (e->function != function)
			continue;
		if (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index)
			return e;
	}
	return NULL;
}
