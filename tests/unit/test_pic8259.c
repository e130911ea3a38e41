/*
 * test_pic8259.c - the 8259A pair through its I/O ports, with a fake INTR pin.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/pic8259.h"
#include "devices/portmap.h"

struct fake_intr {
	int level;
	int changes;
};

static struct portmap *ports;
static struct pic8259 *pic;
static struct fake_intr intr;

static void intr_set(void *opaque, int num, int level)
{
	struct fake_intr *f = opaque;
	f->level = level;
	f->changes++;
}

static void outb(uint16_t port, uint8_t v)
{
	portmap_write(ports, port, v, 1);
}

static uint8_t inb(uint16_t port)
{
	return (uint8_t)portmap_read(ports, port, 1);
}

/* Master vectors 0x20-0x27, slave 0x28-0x2F, everything unmasked. */
static void init_pair(uint8_t icw1, uint8_t icw4_master)
{
	outb(0x20, icw1);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, icw4_master);
	outb(0xa0, icw1);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

static void setup(void)
{
	ports = malloc(sizeof(*ports));
	ck_assert_ptr_nonnull(ports);
	portmap_init(ports);
	intr = (struct fake_intr){ 0, 0 };
	pic = pic8259_create((struct irq_line){ intr_set, &intr, 0 });
	ck_assert_ptr_nonnull(pic);
	ck_assert_int_eq(pic8259_register(pic, ports), 0);
}

static void teardown(void)
{
	pic8259_destroy(pic);
	free(ports);
}

static void pulse(int irq)
{
	pic8259_set_irq(pic, irq, 1);
	pic8259_set_irq(pic, irq, 0);
}

static uint8_t read_isr(uint16_t base)
{
	outb(base, 0x0b);
	uint8_t v = inb(base);
	outb(base, 0x0a);
	return v;
}

START_TEST(test_power_on_masked_and_register)
{
	ck_assert_uint_eq(inb(0x21), 0xff);
	ck_assert_uint_eq(inb(0xa1), 0xff);
	pulse(0);
	ck_assert(!pic8259_intr_pending(pic));
	ck_assert_uint_eq(inb(0x20), 0x01);     /* IRR latches despite the mask */
	ck_assert_int_eq(pic8259_register(pic, ports), -1);
	ck_assert_str_eq(portmap_owner_name(ports, 0x4d1), "pic-elcr");
}
END_TEST

START_TEST(test_init_vector_bases)
{
	init_pair(0x11, 0x01);
	ck_assert_uint_eq(inb(0x21), 0x00);
	pulse(1);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x21);
	outb(0x20, 0x20);
	pulse(10);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2a);
	/* ICW2's low three bits are ignored. */
	outb(0x20, 0x11);
	outb(0x21, 0x47);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	pulse(3);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x43);
}
END_TEST

START_TEST(test_icw1_resets_state)
{
	init_pair(0x11, 0x01);
	pulse(3);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);
	outb(0x21, 0x5a);
	pic8259_set_irq(pic, 4, 1);             /* edge input held high */
	/* Single chip, no ICW4: ICW2 then straight to OCW1. */
	outb(0x20, 0x12);
	ck_assert_uint_eq(inb(0x21), 0x00);     /* IMR cleared */
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	ck_assert_uint_eq(inb(0x20), 0x00);     /* edge sense reset */
	outb(0x21, 0x30);
	outb(0x21, 0xf0);                       /* this is OCW1 already */
	ck_assert_uint_eq(inb(0x21), 0xf0);
	pic8259_set_irq(pic, 4, 0);
	pic8259_set_irq(pic, 4, 1);
	ck_assert_uint_eq(inb(0x20), 0x10);     /* a new rising edge is needed */
}
END_TEST

START_TEST(test_mask_unmask)
{
	init_pair(0x11, 0x01);
	outb(0x21, 0xff);
	ck_assert_uint_eq(inb(0x21), 0xff);
	outb(0xa1, 0xa5);
	ck_assert_uint_eq(inb(0xa1), 0xa5);
	pulse(3);
	ck_assert(!pic8259_intr_pending(pic));
	ck_assert_uint_eq(inb(0x20), 0x08);
	outb(0x21, 0xf7);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(intr.level, 1);
	outb(0x21, 0xff);
	ck_assert(!pic8259_intr_pending(pic));
	ck_assert_int_eq(intr.level, 0);
	ck_assert_int_eq(intr.changes, 2);
	/* A masked slave input does not reach the master. */
	pulse(8);
	outb(0x21, 0xfb);
	ck_assert_uint_eq(inb(0xa0), 0x01);
	ck_assert(!pic8259_intr_pending(pic));
}
END_TEST

START_TEST(test_ocw3_irr_isr)
{
	init_pair(0x11, 0x01);
	pulse(3);
	pulse(5);
	ck_assert_uint_eq(inb(0x20), 0x28);     /* IRR is the default */
	outb(0x20, 0x0b);
	ck_assert_uint_eq(inb(0x20), 0x00);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);
	ck_assert_uint_eq(inb(0x20), 0x08);     /* selection persists */
	outb(0x20, 0x08);                       /* RR = 0: no change */
	ck_assert_uint_eq(inb(0x20), 0x08);
	outb(0x20, 0x0a);
	ck_assert_uint_eq(inb(0x20), 0x20);
	ck_assert_uint_eq(inb(0x21), 0x00);     /* odd port is IMR either way */
}
END_TEST

START_TEST(test_edge_latch)
{
	init_pair(0x11, 0x01);
	pulse(4);                               /* a pulse is enough */
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x24);
	ck_assert_uint_eq(inb(0x20), 0x00);
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x20, 0x20);
	pic8259_set_irq(pic, 4, 1);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x24);
	outb(0x20, 0x20);
	pic8259_set_irq(pic, 4, 1);             /* still high: no new edge */
	ck_assert(!pic8259_intr_pending(pic));
	ck_assert_uint_eq(inb(0x20), 0x00);
}
END_TEST

START_TEST(test_elcr_level)
{
	init_pair(0x11, 0x01);
	outb(0x4d0, 0xff);
	outb(0x4d1, 0xff);
	ck_assert_uint_eq(inb(0x4d0), 0xf8);
	ck_assert_uint_eq(inb(0x4d1), 0xde);
	ck_assert_uint_eq(portmap_read(ports, 0x4d0, 2), 0xdef8);
	pic8259_set_irq(pic, 5, 1);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x25);
	ck_assert_uint_eq(inb(0x20), 0x20);     /* IRR follows the line */
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x20, 0x20);                       /* EOI with the line high */
	ck_assert(pic8259_intr_pending(pic));
	pic8259_set_irq(pic, 5, 0);
	ck_assert(!pic8259_intr_pending(pic));
	ck_assert_uint_eq(inb(0x20), 0x00);
	/* IRQ 0 cannot be level-triggered: a pulse still latches. */
	pulse(0);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x20);
	outb(0x20, 0x20);
	/* Slave level input, and back to edge. */
	pic8259_set_irq(pic, 11, 1);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2b);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert(pic8259_intr_pending(pic));
	/* EOI with the line still high: IR2 latched again, the request then
	 * vanishes and the master's INTA finds nothing on the slave. */
	pic8259_set_irq(pic, 11, 0);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2f);
	outb(0x20, 0x20);
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x4d1, 0x00);
	pulse(11);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2b);
}
END_TEST

START_TEST(test_ltim_level)
{
	init_pair(0x19, 0x01);
	pic8259_set_irq(pic, 1, 1);
	ck_assert(pic8259_intr_pending(pic));
	pic8259_set_irq(pic, 1, 0);
	ck_assert(!pic8259_intr_pending(pic));
	pulse(1);
	ck_assert_uint_eq(inb(0x20), 0x00);
}
END_TEST

START_TEST(test_eoi_specific_nonspecific)
{
	init_pair(0x11, 0x01);
	pulse(3);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);
	pulse(1);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x21);
	pulse(6);
	ck_assert_uint_eq(read_isr(0x20), 0x0a);
	outb(0x20, 0x20);                       /* clears the highest: IR1 */
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	ck_assert(!pic8259_intr_pending(pic));  /* IR6 still below IR3 */
	outb(0x20, 0x63);                       /* specific EOI IR3 */
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x26);
	outb(0x20, 0x65);                       /* specific EOI of a clear bit */
	ck_assert_uint_eq(read_isr(0x20), 0x40);
	outb(0x20, 0x40);                       /* OCW2 no-op */
	ck_assert_uint_eq(read_isr(0x20), 0x40);
	outb(0x20, 0x66);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_priority_nesting)
{
	init_pair(0x11, 0x01);
	pulse(6);
	pulse(4);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x24);   /* lower IR wins */
	ck_assert(!pic8259_intr_pending(pic));  /* IR6 waits for IR4 */
	pulse(4);                               /* equal priority waits */
	ck_assert(!pic8259_intr_pending(pic));
	pulse(3);                               /* higher interrupts */
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);
	ck_assert_uint_eq(read_isr(0x20), 0x18);
	outb(0x20, 0x20);
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x20, 0x20);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x24);
	outb(0x20, 0x20);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x26);
}
END_TEST

START_TEST(test_rotation)
{
	init_pair(0x11, 0x01);
	outb(0x20, 0xc4);                       /* set priority: IR4 lowest */
	pulse(3);
	pulse(6);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x26);
	outb(0x20, 0xa0);                       /* rotate on non-specific EOI */
	/* IR6 is now the lowest: IR7 first, then 0.. */
	pulse(7);
	pulse(6);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x27);
	ck_assert(!pic8259_intr_pending(pic));  /* IR3 and IR6 rank below IR7 now */
	outb(0x20, 0xe7);                       /* rotate on specific EOI 7 */
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);   /* IR7 lowest again */
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x20, 0x20);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x26);
}
END_TEST

START_TEST(test_aeoi_rotation)
{
	init_pair(0x11, 0x03);                  /* master in AEOI */
	pulse(5);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x25);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	pulse(6);
	pulse(4);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x24);   /* no rotation */
	outb(0x20, 0x80);                       /* rotate in AEOI */
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x26);   /* IR6 now lowest */
	pulse(1);
	pulse(7);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x27);   /* IR7 lowest now */
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x21);
	outb(0x20, 0x00);                       /* clear rotate in AEOI */
	pulse(0);
	pulse(3);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);   /* IR1 lowest */
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x20);
}
END_TEST

START_TEST(test_cascade)
{
	init_pair(0x11, 0x01);
	pulse(12);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_uint_eq(inb(0x20), 0x04);     /* slave INT on master IR2 */
	ck_assert_uint_eq(inb(0xa0), 0x10);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2c);
	ck_assert_uint_eq(read_isr(0x20), 0x04);
	ck_assert_uint_eq(read_isr(0xa0), 0x10);
	/* Master IR1 is above the cascade, master IR3 and slave IR5 below. */
	pulse(3);
	pulse(13);
	ck_assert(!pic8259_intr_pending(pic));
	pulse(1);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x21);
	outb(0x20, 0x20);
	/* A higher slave request waits for the master's IR2 EOI. */
	pulse(9);
	ck_assert(!pic8259_intr_pending(pic));
	outb(0xa0, 0x20);                       /* slave EOI first */
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x20, 0x20);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x29);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2d);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);
	outb(0x20, 0x20);
	ck_assert(!pic8259_intr_pending(pic));
	/* IRQ2 of the AT bus is IRQ9. */
	pulse(2);
	ck_assert_uint_eq(inb(0xa0), 0x02);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x29);
}
END_TEST

START_TEST(test_cascade_aeoi_slave_keeps_requesting)
{
	init_pair(0x11, 0x03);                  /* master in AEOI */
	outb(0xa0, 0x11);                       /* slave in AEOI too */
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x03);
	outb(0xa1, 0x00);
	pulse(8);
	pulse(9);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x28);
	/* The slave's INT stays high; INTA gave IR2 a new edge. */
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x29);
	ck_assert(!pic8259_intr_pending(pic));
}
END_TEST

START_TEST(test_special_fully_nested)
{
	init_pair(0x11, 0x01);
	pulse(12);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2c);
	pulse(9);
	ck_assert(!pic8259_intr_pending(pic));  /* fully nested: blocked */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x29);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);

	init_pair(0x11, 0x11);                  /* master SFNM */
	pulse(12);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2c);
	pulse(9);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x29);
	ck_assert_uint_eq(read_isr(0xa0), 0x12);
	pulse(3);                               /* master IR3 still below IR2 */
	ck_assert(!pic8259_intr_pending(pic));
}
END_TEST

START_TEST(test_spurious_master)
{
	init_pair(0x11, 0x01);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x27);   /* nothing at all */
	outb(0x4d0, 0x20);
	pic8259_set_irq(pic, 5, 1);
	ck_assert(pic8259_intr_pending(pic));
	pic8259_set_irq(pic, 5, 0);             /* gone before INTA */
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x27);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
	/* A real IR7 request sets its ISR bit. */
	pulse(7);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x27);
	ck_assert_uint_eq(read_isr(0x20), 0x80);
}
END_TEST

START_TEST(test_spurious_slave)
{
	init_pair(0x11, 0x01);
	outb(0x4d1, 0x04);                      /* IRQ 10 level-triggered */
	pic8259_set_irq(pic, 10, 1);
	ck_assert(pic8259_intr_pending(pic));
	pic8259_set_irq(pic, 10, 0);
	ck_assert(pic8259_intr_pending(pic));   /* master IR2 edge latched */
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2f);
	ck_assert_uint_eq(read_isr(0xa0), 0x00);
	ck_assert_uint_eq(read_isr(0x20), 0x04);    /* guest must EOI master */
	outb(0x20, 0x20);
	ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_poll_mode)
{
	init_pair(0x11, 0x01);
	outb(0x21, 0xff);                       /* polling with INT unused */
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x20), 0x00);     /* nothing requested */
	outb(0x21, 0x00);
	pulse(3);
	pulse(6);
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x20), 0x83);
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	ck_assert_uint_eq(inb(0x20), 0x40);     /* one-shot: back to IRR */
	outb(0x20, 0x20);
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x21), 0x86);     /* either port */
	outb(0x20, 0x20);
	/* Slave through the master's cascade level. */
	pulse(14);
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x20), 0x82);
	outb(0xa0, 0x0c);
	ck_assert_uint_eq(inb(0xa0), 0x86);
	ck_assert_uint_eq(read_isr(0xa0), 0x40);
}
END_TEST

START_TEST(test_special_mask_mode)
{
	init_pair(0x11, 0x01);
	pulse(3);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x23);
	pulse(5);
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x21, 0x08);                       /* mask own level: not enough */
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x20, 0x68);                       /* set special mask mode */
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x25);
	ck_assert_uint_eq(read_isr(0x20), 0x28);
	outb(0x20, 0x65);
	outb(0x20, 0x48);                       /* reset special mask mode */
	pulse(6);
	ck_assert(!pic8259_intr_pending(pic));  /* IR3 blocks again */
	outb(0x20, 0x28);                       /* ESMM = 0: no change */
	ck_assert(!pic8259_intr_pending(pic));
	outb(0x21, 0x00);
	outb(0x20, 0x63);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x26);
}
END_TEST

START_TEST(test_intr_changes_only)
{
	init_pair(0x11, 0x01);
	ck_assert_int_eq(intr.changes, 0);
	pulse(4);
	ck_assert_int_eq(intr.changes, 1);
	ck_assert_int_eq(intr.level, 1);
	pulse(5);
	pulse(6);
	outb(0x21, 0x00);
	ck_assert_int_eq(intr.changes, 1);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x24);
	ck_assert_int_eq(intr.changes, 2);
	ck_assert_int_eq(intr.level, 0);
	outb(0x20, 0x20);
	ck_assert_int_eq(intr.changes, 3);
	ck_assert_int_eq(intr.level, 1);
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x25);
	ck_assert_int_eq(intr.level, 0);
	ck_assert_int_eq(intr.changes, 4);
}
END_TEST

START_TEST(test_irq_line_object)
{
	init_pair(0x11, 0x01);
	struct irq_line line = pic8259_irq_line(pic, 11);
	irq_line_pulse(&line);
	ck_assert(pic8259_intr_pending(pic));
	ck_assert_int_eq(pic8259_acknowledge(pic), 0x2b);
	pic8259_set_irq(pic, 16, 1);            /* out of range: ignored */
	pic8259_set_irq(pic, -1, 1);
	ck_assert_uint_eq(inb(0x20), 0x00);
	ck_assert_uint_eq(inb(0xa0), 0x00);
}
END_TEST

START_TEST(test_wide_access)
{
	init_pair(0x11, 0x01);
	portmap_write(ports, 0x20, 0xa50b, 2);  /* OCW3 read ISR, then IMR */
	ck_assert_uint_eq(inb(0x21), 0xa5);
	ck_assert_uint_eq(portmap_read(ports, 0x20, 2), 0xa500);
	portmap_write(ports, 0x4d0, 0x0420, 2);
	ck_assert_uint_eq(inb(0x4d0), 0x20);
	ck_assert_uint_eq(inb(0x4d1), 0x04);
}
END_TEST

static Suite *pic_suite(void)
{
	Suite *s = suite_create("pic8259");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_power_on_masked_and_register);
	tcase_add_test(tc, test_init_vector_bases);
	tcase_add_test(tc, test_icw1_resets_state);
	tcase_add_test(tc, test_mask_unmask);
	tcase_add_test(tc, test_ocw3_irr_isr);
	tcase_add_test(tc, test_edge_latch);
	tcase_add_test(tc, test_elcr_level);
	tcase_add_test(tc, test_ltim_level);
	tcase_add_test(tc, test_eoi_specific_nonspecific);
	tcase_add_test(tc, test_priority_nesting);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_aeoi_rotation);
	tcase_add_test(tc, test_cascade);
	tcase_add_test(tc, test_cascade_aeoi_slave_keeps_requesting);
	tcase_add_test(tc, test_special_fully_nested);
	tcase_add_test(tc, test_spurious_master);
	tcase_add_test(tc, test_spurious_slave);
	tcase_add_test(tc, test_poll_mode);
	tcase_add_test(tc, test_special_mask_mode);
	tcase_add_test(tc, test_intr_changes_only);
	tcase_add_test(tc, test_irq_line_object);
	tcase_add_test(tc, test_wide_access);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pic_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
