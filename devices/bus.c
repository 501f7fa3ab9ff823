// SPDX-License-Identifier: MIT
/* Port-I/O and MMIO buses: a sorted array of regions, binary-searched. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices.h"

static bool region_overlaps(const struct bus_region *r, uint64_t base, uint64_t len)
{
	return base < r->base + r->len && r->base < base + len;
}

int bus_register(struct bus *bus, const struct bus_region *region)
{
	unsigned int i;

	if (!region->len || !region->ops || region->base + region->len < region->base)
		return -EINVAL;
	for (i = 0; i < bus->nr; i++) {
		if (region_overlaps(&bus->regions[i], region->base, region->len))
			return -EEXIST;
		if (bus->regions[i].base > region->base)
			break;
	}
	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 8;
		struct bus_region *r = realloc(bus->regions, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		bus->regions = r;
		bus->cap = cap;
	}
	memmove(&bus->regions[i + 1], &bus->regions[i], (bus->nr - i) * sizeof(*region));
	bus->regions[i] = *region;
	bus->nr++;
	return 0;
}

static const struct bus_region *bus_find(const struct bus *bus, uint64_t addr, unsigned int len)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_region *r = &bus->regions[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr >= r->base + r->len)
			lo = mid + 1;
		else
			/* An access straddling the region's end hits nothing. */
			return addr + len <= r->base + r->len ? r : NULL;
	}
	return NULL;
}

int bus_access(const struct bus *bus, unsigned int cpu, uint64_t addr, void *data,
	       unsigned int len, bool is_write)
{
	const struct bus_region *r = bus_find(bus, addr, len);

	if (!r)
		return -ENOENT;
	if (is_write)
		return r->ops->write ? r->ops->write(r->dev, cpu, addr - r->base, data, len) : 0;
	if (r->ops->read)
		return r->ops->read(r->dev, cpu, addr - r->base, data, len);
	memset(data, 0xff, len);
	return 0;
}

void bus_release(struct bus *bus)
{
	free(bus->regions);
	*bus = (struct bus){ .name = bus->name };
}
