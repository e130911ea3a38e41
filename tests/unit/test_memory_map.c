/*
 * test_memory_map.c - guest RAM, the physical map and the port map.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/portmap.h"
#include "mmu/guest_ram.h"
#include "mmu/physmap.h"

struct fake_dev {
	uint32_t last_offset, last_value;
	unsigned last_size, reads, writes;
};

static uint32_t fake_read(void *opaque, uint32_t offset, unsigned size)
{
	struct fake_dev *d = opaque;
	d->reads++;
	d->last_offset = offset;
	d->last_size = size;
	return 0xa0b0c0d0u + offset;
}

static void fake_write(void *opaque, uint32_t offset, uint32_t value, unsigned size)
{
	struct fake_dev *d = opaque;
	d->writes++;
	d->last_offset = offset;
	d->last_value = value;
	d->last_size = size;
}

static const struct io_ops fake_ops = { fake_read, fake_write };

START_TEST(guest_ram_rejects_bad_sizes)
{
	struct guest_ram ram;
	char err[256];
	ck_assert_int_eq(guest_ram_create(&ram, 1u << 20, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	ck_assert_int_eq(guest_ram_create(&ram, (4ull << 30), err, sizeof(err)), -1);
	ck_assert_int_eq(guest_ram_create(&ram, (16u << 20) + 1, err, sizeof(err)), -1);
	ck_assert_int_eq(guest_ram_create(&ram, 16u << 20, err, sizeof(err)), 0);
	ck_assert_int_ge(ram.fd, 0);
	ck_assert_uint_eq(ram.size, 16u << 20);
	ram.host[ram.size - 1] = 0x5a;   /* the whole range is usable */
	guest_ram_destroy(&ram);
	ck_assert_int_eq(ram.fd, -1);
}
END_TEST

static struct guest_ram ram;
static struct physmap map;
static struct fake_dev dev;

static void setup_map(void)
{
	char err[256];
	ck_assert_int_eq(guest_ram_create(&ram, 16u << 20, err, sizeof(err)), 0);
	physmap_init(&map, &ram);
	memset(&dev, 0, sizeof(dev));
	ck_assert_int_eq(physmap_add_ram(&map, 0, 0xa0000, 0, false, "low"), 0);
	ck_assert_int_eq(physmap_add_mmio(&map, 0xa0000, 0x20000, &fake_ops, &dev, "mmio"), 0);
	ck_assert_int_eq(physmap_add_ram(&map, 0xc0000, 0x40000, 0xc0000, true, "rom"), 0);
	ck_assert_int_eq(physmap_add_ram(&map, 0x100000, (16u << 20) - 0x100000, 0x100000, false, "high"), 0);
}

static void teardown_map(void)
{
	guest_ram_destroy(&ram);
}

START_TEST(physmap_rejects_overlaps_and_ranges_outside_ram)
{
	ck_assert_int_eq(physmap_add_ram(&map, 0x9f000, 0x2000, 0, false, "overlap"), -1);
	ck_assert_int_eq(physmap_add_mmio(&map, 0xbf000, 0x2000, &fake_ops, &dev, "overlap"), -1);
	ck_assert_int_eq(physmap_add_ram(&map, 0x2000000, 0x1000, 16u << 20, false, "beyond"), -1);
	ck_assert_int_eq(physmap_add_mmio(&map, 0xfffff000, 0x2000, &fake_ops, &dev, "wraps"), -1);
	ck_assert_int_eq(physmap_add_mmio(&map, 0xfee00000, 0x1000, &fake_ops, &dev, "apic"), 0);
	/* sorted by base */
	for (unsigned i = 1; i < map.nregions; i++)
		ck_assert_uint_lt(map.regions[i - 1].base, map.regions[i].base);
}
END_TEST

START_TEST(physmap_ram_rom_mmio_and_unassigned)
{
	physmap_write(&map, 0x1000, 0x11223344, 4);
	ck_assert_uint_eq(physmap_read(&map, 0x1000, 4), 0x11223344);
	ck_assert_uint_eq(physmap_read(&map, 0x1001, 2), 0x2233);
	ck_assert_uint_eq(ram.host[0x1000], 0x44);

	/* ROM: loader writes land, guest writes are ignored */
	uint8_t rom[4] = { 1, 2, 3, 4 };
	ck_assert_int_eq(physmap_load(&map, 0xf0000, rom, 4), 0);
	physmap_write(&map, 0xf0000, 0xffffffff, 4);
	ck_assert_uint_eq(physmap_read(&map, 0xf0000, 4), 0x04030201);

	/* MMIO: offset relative to the region, size passed through */
	ck_assert_uint_eq(physmap_read(&map, 0xb8010, 2), (0xa0b0c0d0u + 0x18010) & 0xffff);
	ck_assert_uint_eq(dev.last_offset, 0x18010);
	ck_assert_uint_eq(dev.last_size, 2);
	physmap_write(&map, 0xb8000, 0x0741, 2);
	ck_assert_uint_eq(dev.last_value, 0x0741);
	ck_assert_uint_eq(dev.writes, 1);

	/* unassigned: all ones, writes dropped */
	ck_assert_uint_eq(physmap_read(&map, 0xe0000000u, 4), 0xffffffffu);
	ck_assert_uint_eq(physmap_read(&map, 0xe0000000u, 1), 0xff);
	physmap_write(&map, 0xe0000000u, 0, 4);
}
END_TEST

START_TEST(physmap_access_spanning_regions)
{
	/* 4-byte read at the end of low RAM: 2 bytes RAM + 2 bytes MMIO (byte-wise) */
	ram.host[0x9fffe] = 0x12;
	ram.host[0x9ffff] = 0x34;
	uint32_t v = physmap_read(&map, 0x9fffe, 4);
	ck_assert_uint_eq(v & 0xffff, 0x3412);
	ck_assert_uint_eq(dev.reads, 2);
	/* write spanning the top of RAM: the part beyond is dropped */
	physmap_write(&map, (16u << 20) - 2, 0xaabbccdd, 4);
	ck_assert_uint_eq(ram.host[(16u << 20) - 2], 0xdd);
	ck_assert_uint_eq(ram.host[(16u << 20) - 1], 0xcc);
}
END_TEST

START_TEST(physmap_host_ptr_and_loaders)
{
	bool writable;
	uint8_t *p = physmap_host_ptr(&map, 0x100000, 4096, &writable);
	ck_assert_ptr_eq(p, ram.host + 0x100000);
	ck_assert(writable);
	ck_assert_ptr_nonnull(physmap_host_ptr(&map, 0xf0000, 16, &writable));
	ck_assert(!writable);
	ck_assert_ptr_null(physmap_host_ptr(&map, 0xb8000, 16, NULL));
	ck_assert_ptr_null(physmap_host_ptr(&map, 0x9f000, 0x2000, NULL));   /* crosses into MMIO */

	uint8_t buf[8192];
	memset(buf, 0x77, sizeof(buf));
	ck_assert_int_eq(physmap_load(&map, 0x200000, buf, sizeof(buf)), 0);
	uint8_t back[8192];
	ck_assert_int_eq(physmap_fetch(&map, 0x200000, back, sizeof(back)), 0);
	ck_assert_mem_eq(buf, back, sizeof(buf));
	ck_assert_int_eq(physmap_load(&map, 0x9f000, buf, 0x2000), -1);   /* not backed */
	ck_assert_int_eq(physmap_load(&map, (16u << 20) - 16, buf, 32), -1);
}
END_TEST

START_TEST(physmap_a20_mask)
{
	uint64_t gen = map.generation;
	ck_assert_uint_eq(physmap_a20(&map, 0x100000), 0x100000);
	physmap_set_a20(&map, false);
	ck_assert_uint_eq(physmap_a20(&map, 0x100000), 0);
	ck_assert_uint_eq(physmap_a20(&map, 0x1fffff), 0x0fffff);
	ck_assert_uint_eq(physmap_a20(&map, 0x300000), 0x200000);
	ck_assert_uint_ne(map.generation, gen);
	physmap_set_a20(&map, true);
	ck_assert_uint_eq(physmap_a20(&map, 0x100000), 0x100000);
}
END_TEST

START_TEST(portmap_dispatch)
{
	struct portmap *ports = malloc(sizeof(*ports));
	struct fake_dev d = { 0 };
	portmap_init(ports);
	ck_assert_int_eq(portmap_register(ports, 0x3f8, 8, &fake_ops, &d, "com1"), 0);
	ck_assert_int_eq(portmap_register(ports, 0x3fc, 2, &fake_ops, &d, "overlap"), -1);
	ck_assert_int_eq(portmap_register(ports, 0xfffe, 4, &fake_ops, &d, "wraps"), -1);
	ck_assert_int_eq(portmap_register(ports, 0x100, 0, &fake_ops, &d, "empty"), -1);
	ck_assert_str_eq(portmap_owner_name(ports, 0x3ff), "com1");
	ck_assert_ptr_null(portmap_owner_name(ports, 0x400));

	ck_assert_uint_eq(portmap_read(ports, 0x3fb, 1), (0xa0b0c0d0u + 3) & 0xff);
	ck_assert_uint_eq(d.last_offset, 3);
	portmap_write(ports, 0x3f9, 0x1234, 2);
	ck_assert_uint_eq(d.last_offset, 1);
	ck_assert_uint_eq(d.last_value, 0x1234);
	ck_assert_uint_eq(d.last_size, 2);

	ck_assert_uint_eq(portmap_read(ports, 0x1234, 1), 0xff);
	ck_assert_uint_eq(portmap_read(ports, 0x1234, 2), 0xffff);
	ck_assert_uint_eq(portmap_read(ports, 0x1234, 4), 0xffffffffu);
	portmap_write(ports, 0x1234, 0, 1);
	ck_assert_uint_eq(ports->unclaimed_accesses, 4);
	free(ports);
}
END_TEST

START_TEST(portmap_watched_writes_notify)
{
	struct portmap *ports = malloc(sizeof(*ports));
	struct fake_dev d = { 0 };
	volatile sig_atomic_t flags = 0;
	portmap_init(ports);
	ck_assert_int_eq(portmap_register(ports, 0x40, 4, &fake_ops, &d, "pit"), 0);
	portmap_watch(ports, 0x43, 1, &flags, 2);
	portmap_write(ports, 0x40, 1, 1);
	(void)portmap_read(ports, 0x43, 1);
	ck_assert_int_eq(flags, 0);
	portmap_write(ports, 0x43, 0x34, 1);
	ck_assert_int_eq(flags, 2);
	ck_assert_uint_eq(d.last_value, 0x34);   /* the device saw the write first */
	free(ports);
}
END_TEST

START_TEST(portmap_reports_each_unclaimed_port_once)
{
	struct portmap *ports = malloc(sizeof(*ports));
	portmap_init(ports);
	char *text = NULL;
	size_t len = 0;
	ports->trace = open_memstream(&text, &len);
	portmap_read(ports, 0x2f8, 1);
	portmap_read(ports, 0x2f8, 1);
	portmap_write(ports, 0x2f9, 1, 1);
	fclose(ports->trace);
	ck_assert_ptr_nonnull(strstr(text, "port 0x02f8"));
	ck_assert_ptr_nonnull(strstr(text, "port 0x02f9"));
	ck_assert_ptr_null(strstr(strstr(text, "0x02f8") + 1, "0x02f8"));
	free(text);
	free(ports);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("memory_map");
	TCase *tc = tcase_create("ram");
	tcase_add_test(tc, guest_ram_rejects_bad_sizes);
	suite_add_tcase(s, tc);
	tc = tcase_create("physmap");
	tcase_add_checked_fixture(tc, setup_map, teardown_map);
	tcase_add_test(tc, physmap_rejects_overlaps_and_ranges_outside_ram);
	tcase_add_test(tc, physmap_ram_rom_mmio_and_unassigned);
	tcase_add_test(tc, physmap_access_spanning_regions);
	tcase_add_test(tc, physmap_host_ptr_and_loaders);
	tcase_add_test(tc, physmap_a20_mask);
	suite_add_tcase(s, tc);
	tc = tcase_create("portmap");
	tcase_add_test(tc, portmap_dispatch);
	tcase_add_test(tc, portmap_watched_writes_notify);
	tcase_add_test(tc, portmap_reports_each_unclaimed_port_once);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
