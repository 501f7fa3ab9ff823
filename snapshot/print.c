// SPDX-License-Identifier: MIT
/*
 * A manifest as fpvm snapshot show prints it: a few lines for people, or
 * one JSON object left open for the vCPUs the command appends.
 */
#include "../base/json.h"
#include "../fpstate/fpstate.h"
#include "snapshot.h"

static void print_json(FILE *f, const struct snapshot_manifest *m)
{
	const struct snapshot_host *h = &m->host;

	fprintf(f, "{\"format\": %u, \"generation\": %u, \"fpvm_version\": ", m->format,
		m->generation);
	json_str(f, h->fpvm_version);
	fputs(", \"created\": ", f);
	json_str(f, m->created);
	fputs(", \"reason\": ", f);
	json_str(f, m->reason);
	fputs(", \"guest\": ", f);
	json_str(f, m->guest);
	fprintf(f, ", \"cpus\": %u, \"mem_size\": %llu, \"guest_xcr0\": \"0x%llx\", "
		"\"host_vendor\": ", m->nr_cpus, (unsigned long long)m->mem_size,
		(unsigned long long)m->guest_xcr0);
	json_str(f, h->vendor);
	fprintf(f, ", \"host_family\": %u, \"host_model\": %u, \"host_stepping\": %u, "
		"\"host_model_name\": ", h->family, h->model, h->stepping);
	json_str(f, h->model_name);
	fprintf(f, ", \"host_xcr0_supported\": \"0x%llx\", \"host_xss_supported\": \"0x%llx\", "
		"\"host_uabi_size\": %u, \"parts\": [", (unsigned long long)h->xcr0_supported,
		(unsigned long long)h->xss_supported, h->uabi_size);
	for (unsigned int i = 0; i < m->nr_parts; i++) {
		fputs(i ? ", {\"name\": " : "{\"name\": ", f);
		json_str(f, m->parts[i].name);
		fprintf(f, ", \"size\": %llu, \"crc\": \"0x%08x\"}",
			(unsigned long long)m->parts[i].size, m->parts[i].crc);
	}
	fputc(']', f);
}

static void print_text(FILE *f, const struct snapshot_manifest *m)
{
	const struct snapshot_host *h = &m->host;
	char names[256];

	fprintf(f, "snapshot:  format %u, written by fpvm %s at %s (%s)\n", m->format,
		h->fpvm_version[0] ? h->fpvm_version : "?", m->created,
		m->reason[0] ? m->reason : "no reason given");
	if (m->generation)
		fprintf(f, "parts in:  gen-%u\n", m->generation);
	fprintf(f, "guest:     %s: %u vCPU%s, %llu MiB, XCR0 0x%llx (%s)\n",
		m->guest[0] ? m->guest : "?", m->nr_cpus, m->nr_cpus == 1 ? "" : "s",
		(unsigned long long)(m->mem_size >> 20), (unsigned long long)m->guest_xcr0,
		xfeatures_str(m->guest_xcr0, names, sizeof(names)));
	fprintf(f, "host:      %s family %u model %u stepping %u%s%s\n",
		h->vendor[0] ? h->vendor : "?", h->family, h->model, h->stepping,
		h->model_name[0] ? ", " : "", h->model_name);
	fprintf(f, "host KVM:  XCR0 0x%llx, XSS 0x%llx, XSAVE buffer %u bytes\n",
		(unsigned long long)h->xcr0_supported, (unsigned long long)h->xss_supported,
		h->uabi_size);
	fprintf(f, "parts:     %u\n", m->nr_parts);
	for (unsigned int i = 0; i < m->nr_parts; i++)
		fprintf(f, "  %-24s %14llu  0x%08x\n", m->parts[i].name,
			(unsigned long long)m->parts[i].size, m->parts[i].crc);
}

void snapshot_manifest_print(FILE *f, const struct snapshot_manifest *m, bool json)
{
	if (json)
		print_json(f, m);
	else
		print_text(f, m);
}
