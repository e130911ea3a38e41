/*
 * report.h - the test guests' output: TAP-like lines on the debug console.
 *
 * Every byte goes to I/O port 0xE9 (the debug console). report() numbers
 * checks and prints "ok N - text" or "not ok N - text"; note() prints
 * "# text"; summary() prints "# passed P of T" and exits with 0 when every
 * check passed (and there was at least one), 1 otherwise. guest_exit()
 * writes the exit code to port 0xF4 (see guests/README.md for how softvt
 * and QEMU turn it into a process exit code).
 */
#ifndef GUEST_REPORT_H
#define GUEST_REPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define DEBUGCON_PORT 0xe9
#define EXIT_PORT 0xf4

/* Exit codes */
#define EXIT_PASS 0
#define EXIT_FAIL 1
#define EXIT_TIMEOUT 2          /* a bounded wait ran out */
#define EXIT_UNEXPECTED_TRAP 3  /* an exception nobody expected */

void print(const char *s);
/* Minimal printf: %d %u %x %s %c %%, with optional '0' flag and width (%08x). */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vprintf(const char *fmt, va_list ap);
bool report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool vreport(bool ok, const char *fmt, va_list ap);
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void summary(void);
__attribute__((noreturn)) void guest_exit(unsigned code);
/* Prints "# timeout: what" and exits with EXIT_TIMEOUT. */
__attribute__((noreturn)) void timeout_exit(const char *what);

#endif
