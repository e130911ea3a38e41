/*
 * report.c - debug-console output, check reporting and guest exit.
 *
 * The counters live in one struct: a guest is a whole machine with one
 * CPU, so this is the one instance there can be.
 */
#include "report.h"
#include "x86.h"

struct report_counts {
	unsigned tests;
	unsigned passed;
};

static struct report_counts counts;

static void put(char c)
{
	outb(DEBUGCON_PORT, (uint8_t)c);
}

void print(const char *s)
{
	while (*s)
		put(*s++);
}

static void put_number(uint32_t v, unsigned base, bool negative, unsigned width, char pad)
{
	char digits[12];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (negative)
		digits[n++] = '-';
	for (; width > n; width--)
		put(pad);
	while (n)
		put(digits[--n]);
}

void vprintf(const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(*fmt);
			continue;
		}
		char pad = ' ';
		unsigned width = 0;

		fmt++;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (unsigned)(*fmt++ - '0');
		switch (*fmt) {
		case 'd': {
			int32_t v = va_arg(ap, int32_t);

			put_number(v < 0 ? -(uint32_t)v : (uint32_t)v, 10, v < 0, width, pad);
			break;
		}
		case 'u':
			put_number(va_arg(ap, uint32_t), 10, false, width, pad);
			break;
		case 'x':
			put_number(va_arg(ap, uint32_t), 16, false, width, pad);
			break;
		case 'c':
			put((char)va_arg(ap, int));
			break;
		case 's':
			print(va_arg(ap, const char *));
			break;
		case '%':
			put('%');
			break;
		default:
			put('%');
			if (!*fmt)
				return;
			put(*fmt);
			break;
		}
	}
}

void printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

bool vreport(bool ok, const char *fmt, va_list ap)
{
	counts.tests++;
	if (ok)
		counts.passed++;
	printf("%s %u - ", ok ? "ok" : "not ok", counts.tests);
	vprintf(fmt, ap);
	put('\n');
	return ok;
}

bool report(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ok, fmt, ap);
	va_end(ap);
	return ok;
}

void note(const char *fmt, ...)
{
	va_list ap;

	print("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	put('\n');
}

void guest_exit(unsigned code)
{
	outb(EXIT_PORT, (uint8_t)code);
	/* Only reached when no exit device listens: stop for good. */
	for (;;)
		asm volatile("cli; hlt");
}

void summary(void)
{
	printf("# passed %u of %u\n", counts.passed, counts.tests);
	guest_exit(counts.tests && counts.passed == counts.tests ? EXIT_PASS : EXIT_FAIL);
}

void timeout_exit(const char *what)
{
	note("timeout: %s", what);
	guest_exit(EXIT_TIMEOUT);
}
