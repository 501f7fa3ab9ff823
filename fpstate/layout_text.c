// SPDX-License-Identifier: MIT
/*
 * The .layout text (v1) that travels with a saved .xsave image: sizes,
 * features and the CPUID leaf 0xD layout that decode it on any machine.
 * Text in memory, both ways, so that a snapshot can carry it as a part
 * and fpstate/file.c can read and write it as a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fpstate.h"

char *fpstate_layout_format(const struct fpstate *fps, uint64_t xcr0, int vcpu, size_t *len)
{
	const struct xstate_layout *l = fps->layout;
	char *text = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&text, &n);

	if (!f)
		return NULL;
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
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	if (len)
		*len = n;
	return text;
}

static int parse_line(const char *line, struct fpstate_file *sf)
{
	unsigned long long v;
	unsigned int bit, off, size, flags;
	int iv;

	if (sscanf(line, "component = %u %u %u %x", &bit, &off, &size, &flags) == 4) {
		if (bit < 2 || bit >= XFEATURE_MAX || size > (1U << 20) || off > (1U << 20))
			return -ERANGE;
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
		return -EINVAL;
	}
	return 0;
}

int fpstate_layout_parse(const char *text, size_t len, const char *name, struct fpstate_file *sf,
			 struct fpstate_error *err)
{
	const char *p = text, *end = text + len;
	unsigned int lineno = 0;

	memset(sf, 0, sizeof(*sf));
	sf->layout.comp[XFEATURE_FP] = (struct xstate_component){ 160, 0, 0 };
	sf->layout.comp[XFEATURE_SSE] = (struct xstate_component){ 256, 160, 0 };
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char line[256];
		int r;

		lineno++;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = 0;
		p = nl ? nl + 1 : end;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		r = parse_line(line, sf);
		if (r == -ERANGE)
			return fpstate_error_set(err, "%s:%u: bad component line", name, lineno);
		if (r)
			return fpstate_error_set(err, "%s:%u: unrecognised line", name, lineno);
	}
	if (sf->size < XSAVE_EXT_OFFSET || sf->size > (16U << 20))
		return fpstate_error_set(err, "%s: size %u out of range", name, sf->size);
	return 0;
}
