// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the snapshot manifest parser, snapshot_manifest_parse()
 * (snapshot/manifest.c), on the input as the bytes of a manifest file.
 *
 * The parser checks the CRC-32C of the text before anything else, so a
 * mutated input would almost never get past it: each input is parsed once
 * as it is and once with its last line replaced by the checksum that fits,
 * which is what lets the fuzzer reach the rules behind it.
 *
 * Beyond crashes and leaks, a failure must leave nothing to free and a
 * one-line message; a manifest that parses must satisfy every rule, print,
 * and come back the same through snapshot_manifest_format() and the parser.
 */
#include <string.h>

#include "../../snapshot/snapshot.h"
#include "fuzz.h"

static FILE *devnull;

static void check_failure(const struct snapshot_manifest *m, const struct fpvm_error *err)
{
	FUZZ_ASSERT(err->cls == FPVM_ERR_INPUT || err->cls == FPVM_ERR_SYSTEM);
	FUZZ_ASSERT(memchr(err->msg, '\0', sizeof(err->msg)));
	FUZZ_ASSERT(!strncmp(err->msg, "snapshot: ", 10));
	FUZZ_ASSERT(!strchr(err->msg, '\n'));
	FUZZ_ASSERT(!m->parts && !m->nr_parts);
}

static bool str_ok(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_manifest(const struct snapshot_manifest *m)
{
	const struct snapshot_host *h = &m->host;

	/* Format 2 names the directory of its parts; format 1 keeps them beside it. */
	FUZZ_ASSERT(m->format == SNAPSHOT_FORMAT || m->format == SNAPSHOT_FORMAT_FLAT);
	FUZZ_ASSERT(m->format == SNAPSHOT_FORMAT_FLAT ? !m->generation :
		    m->generation >= 1 && m->generation <= SNAPSHOT_MAX_GEN);
	FUZZ_ASSERT(m->nr_cpus >= 1 && m->nr_cpus <= SNAPSHOT_MAX_CPUS);
	FUZZ_ASSERT(m->mem_size && !(m->mem_size % SNAPSHOT_PAGE_SIZE) &&
		    m->mem_size <= SNAPSHOT_MAX_MEM);
	FUZZ_ASSERT(str_ok(m->created, sizeof(m->created)) && str_ok(m->reason, sizeof(m->reason)));
	FUZZ_ASSERT(str_ok(m->guest, sizeof(m->guest)) && str_ok(h->vendor, sizeof(h->vendor)));
	FUZZ_ASSERT(str_ok(h->model_name, sizeof(h->model_name)));
	FUZZ_ASSERT(str_ok(h->fpvm_version, sizeof(h->fpvm_version)));
	FUZZ_ASSERT(m->nr_parts <= SNAPSHOT_MAX_PARTS && (!m->nr_parts || m->parts));
	for (unsigned int i = 0; i < m->nr_parts; i++) {
		const struct snapshot_part *p = &m->parts[i];

		FUZZ_ASSERT(str_ok(p->name, sizeof(p->name)) && snapshot_part_name_valid(p->name));
		FUZZ_ASSERT(!p->flags);
		/* Unique: the name finds this very entry. */
		FUZZ_ASSERT(snapshot_part_find(m, p->name) == p);
		if (!strcmp(p->name, SNAPSHOT_MEMORY))
			FUZZ_ASSERT(p->size == m->mem_size);
		else
			FUZZ_ASSERT(p->size <= SNAPSHOT_MAX_PART_SIZE);
	}
}

static void check_same(const struct snapshot_manifest *a, const struct snapshot_manifest *b)
{
	FUZZ_ASSERT(a->format == b->format && a->generation == b->generation);
	FUZZ_ASSERT(!strcmp(a->created, b->created) && !strcmp(a->reason, b->reason));
	FUZZ_ASSERT(!strcmp(a->guest, b->guest));
	FUZZ_ASSERT(!strcmp(a->host.vendor, b->host.vendor));
	FUZZ_ASSERT(!strcmp(a->host.model_name, b->host.model_name));
	FUZZ_ASSERT(!strcmp(a->host.fpvm_version, b->host.fpvm_version));
	FUZZ_ASSERT(a->host.family == b->host.family && a->host.model == b->host.model &&
		    a->host.stepping == b->host.stepping);
	FUZZ_ASSERT(a->host.xcr0_supported == b->host.xcr0_supported &&
		    a->host.xss_supported == b->host.xss_supported &&
		    a->host.uabi_size == b->host.uabi_size);
	FUZZ_ASSERT(a->nr_cpus == b->nr_cpus && a->mem_size == b->mem_size &&
		    a->guest_xcr0 == b->guest_xcr0 && a->nr_parts == b->nr_parts);
	for (unsigned int i = 0; i < a->nr_parts; i++) {
		FUZZ_ASSERT(!strcmp(a->parts[i].name, b->parts[i].name));
		FUZZ_ASSERT(a->parts[i].size == b->parts[i].size);
		FUZZ_ASSERT(a->parts[i].crc == b->parts[i].crc);
	}
}

static void parse(const char *text, size_t len)
{
	struct fpvm_error err = { 0 };
	struct snapshot_manifest m, again;
	size_t out_len;
	char *out;

	if (snapshot_manifest_parse(text, len, &m, &err)) {
		check_failure(&m, &err);
		return;
	}
	check_manifest(&m);
	snapshot_manifest_print(devnull, &m, false);
	snapshot_manifest_print(devnull, &m, true);
	FUZZ_ASSERT(!snapshot_manifest_format(&m, &out, &out_len, &err));
	FUZZ_ASSERT(out_len <= SNAPSHOT_MANIFEST_MAX);
	FUZZ_ASSERT(!snapshot_manifest_parse(out, out_len, &again, &err));
	check_same(&m, &again);
	free(out);
	snapshot_manifest_free(&again);
	snapshot_manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t start = size;
	char *text, line[32];
	int n;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		FUZZ_ASSERT(devnull);
	}
	parse((const char *)data, size);
	if (size > SNAPSHOT_MANIFEST_MAX)
		return 0;
	/* Again with the checksum line that fits what comes before it. */
	if (start && data[start - 1] == '\n')
		start--;
	while (start && data[start - 1] != '\n')
		start--;
	text = malloc(start + sizeof(line));
	FUZZ_ASSERT(text);
	memcpy(text, data, start);
	n = snprintf(line, sizeof(line), "checksum = 0x%08x\n", crc32c(0, data, start));
	memcpy(text + start, line, (size_t)n);
	parse(text, start + (size_t)n);
	free(text);
	return 0;
}
