// SPDX-License-Identifier: MIT
/*
 * Saved fpstates: DIR/vcpuN.xsave holds the uABI buffer exactly as KVM
 * returned it; DIR/vcpuN.layout describes it (sizes, features, the CPUID
 * leaf 0xD layout), so it can be decoded on any other machine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpstate.h"

int fpstate_file_save(const char *dir, int vcpu, const struct fpstate *fps, uint64_t xcr0,
		      struct fpstate_error *err)
{
	const struct xstate_layout *l = fps->layout;
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/vcpu%d.xsave", dir, vcpu);
	f = fopen(path, "wb");
	if (!f)
		return fpstate_error_set(err, "%s: %s", path, strerror(errno));
	n = fwrite(fps->buf, 1, fps->size, f);
	if (fclose(f) || n != fps->size)
		return fpstate_error_set(err, "%s: write failed", path);

	snprintf(path, sizeof(path), "%s/vcpu%d.layout", dir, vcpu);
	f = fopen(path, "w");
	if (!f)
		return fpstate_error_set(err, "%s: %s", path, strerror(errno));
	fprintf(f, "# fpvm fpstate layout v1: describes vcpu%d.xsave\n", vcpu);
	fprintf(f, "vcpu = %d\nsize = %u\nis_guest = %d\nxcr0 = 0x%llx\nxfeatures = 0x%llx\n",
		vcpu, fps->size, fps->is_guest, (unsigned long long)xcr0,
		(unsigned long long)fps->xfeatures);
	fprintf(f, "xcr0_supported = 0x%llx\nxss_supported = 0x%llx\nxsave_features = 0x%x\n"
		"max_size = %u\nmxcsr_mask = 0x%x\n", (unsigned long long)l->xcr0_supported,
		(unsigned long long)l->xss_supported, l->xsave_features, l->max_size,
		l->mxcsr_mask);
	fprintf(f, "# component = bit offset size flags\n");
	for (unsigned int bit = 2; bit < XFEATURE_MAX; bit++)
		if (l->comp[bit].size)
			fprintf(f, "component = %u %u %u 0x%x\n", bit, l->comp[bit].offset,
				l->comp[bit].size, l->comp[bit].flags);
	if (fclose(f))
		return fpstate_error_set(err, "%s: write failed", path);
	return 0;
}

static int parse_layout(const char *path, struct fpstate_file *sf, struct fpstate_error *err)
{
	FILE *f = fopen(path, "r");
	char line[256];
	unsigned int lineno = 0;

	if (!f)
		return fpstate_error_set(err, "%s: %s (needed to decode the .xsave file)", path, strerror(errno));
	sf->layout.comp[XFEATURE_FP] = (struct xstate_component){ 160, 0, 0 };
	sf->layout.comp[XFEATURE_SSE] = (struct xstate_component){ 256, 160, 0 };
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		unsigned int bit, off, size, flags;
		int iv;

		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "component = %u %u %u %x", &bit, &off, &size, &flags) == 4) {
			if (bit < 2 || bit >= XFEATURE_MAX || size > (1U << 20) || off > (1U << 20)) {
				fclose(f);
				return fpstate_error_set(err, "%s:%u: bad component line", path, lineno);
			}
			sf->layout.comp[bit] = (struct xstate_component){ size, off, flags };
		} else if (sscanf(line, "vcpu = %d", &iv) == 1) {
			sf->vcpu = iv;
		} else if (sscanf(line, "size = %llu", &v) == 1) {
			sf->size = (uint32_t)v;
		} else if (sscanf(line, "is_guest = %d", &iv) == 1) {
			sf->is_guest = iv;
		} else if (sscanf(line, "xcr0 = %llx", &v) == 1) {
			sf->xcr0 = v;
		} else if (sscanf(line, "xfeatures = %llx", &v) == 1) {
			sf->xfeatures = v;
		} else if (sscanf(line, "xcr0_supported = %llx", &v) == 1) {
			sf->layout.xcr0_supported = v;
		} else if (sscanf(line, "xss_supported = %llx", &v) == 1) {
			sf->layout.xss_supported = v;
		} else if (sscanf(line, "xsave_features = %llx", &v) == 1) {
			sf->layout.xsave_features = (uint32_t)v;
		} else if (sscanf(line, "max_size = %llu", &v) == 1) {
			sf->layout.max_size = (uint32_t)v;
		} else if (sscanf(line, "mxcsr_mask = %llx", &v) == 1) {
			sf->layout.mxcsr_mask = (uint32_t)v;
		} else {
			fclose(f);
			return fpstate_error_set(err, "%s:%u: unrecognised line", path, lineno);
		}
	}
	fclose(f);
	if (sf->size < XSAVE_EXT_OFFSET || sf->size > (16U << 20))
		return fpstate_error_set(err, "%s: size %u out of range", path, sf->size);
	return 0;
}

int fpstate_file_load(const char *path, struct fpstate_file *sf, struct fpstate_error *err)
{
	char lpath[4096];
	size_t len = strlen(path), n;
	FILE *f;
	long fsize;
	int r;

	memset(sf, 0, sizeof(*sf));
	if (len < 6 || strcmp(path + len - 6, ".xsave") || len + 1 >= sizeof(lpath))
		return fpstate_error_set(err, "%s: expected a NAME.xsave file (from --save-fpstate)", path);
	snprintf(lpath, sizeof(lpath), "%.*s.layout", (int)(len - 6), path);
	r = parse_layout(lpath, sf, err);
	if (r)
		return r;
	f = fopen(path, "rb");
	if (!f)
		return fpstate_error_set(err, "%s: %s", path, strerror(errno));
	if (fseek(f, 0, SEEK_END) || (fsize = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return fpstate_error_set(err, "%s: cannot size the file", path);
	}
	if ((uint64_t)fsize != sf->size) {
		fclose(f);
		return fpstate_error_set(err, "%s: %ld bytes, but its layout says %u", path, fsize, sf->size);
	}
	sf->buf = aligned_alloc(64, (sf->size + 63) & ~63U);
	if (!sf->buf) {
		fclose(f);
		return fpstate_error_set(err, "out of memory");
	}
	n = fread(sf->buf, 1, sf->size, f);
	fclose(f);
	if (n != sf->size) {
		fpstate_file_free(sf);
		return fpstate_error_set(err, "%s: short read", path);
	}
	return 0;
}

void fpstate_file_free(struct fpstate_file *sf)
{
	free(sf->buf);
	sf->buf = NULL;
}
