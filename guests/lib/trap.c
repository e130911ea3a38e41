/*
 * trap.c - trap dispatch: installed handlers, TRY catches, and the report
 * of unexpected exceptions (trap.h).
 *
 * The handler table and the catch record are the single instances the CPU's
 * one IDT feeds; they are zero (no handler, not armed) at load time.
 */
#include <stdarg.h>
#include <stddef.h>

#include "desc.h"
#include "report.h"
#include "trap.h"
#include "x86.h"

_Static_assert(offsetof(struct trap_catch, start) == 4, "TRY_PROLOGUE offsets");
_Static_assert(offsetof(struct trap_catch, end) == 8, "TRY_PROLOGUE offsets");
_Static_assert(offsetof(struct trap_catch, vector) == 12, "TRY_PROLOGUE offsets");
_Static_assert(sizeof(struct trap_frame) == 17 * 4, "trap.S frame layout");

extern char trap_stubs[];

volatile struct trap_catch trap_catch;
static trap_handler_fn *handlers[IDT_ENTRIES];

void trap_set_handler(unsigned vector, trap_handler_fn *fn)
{
	handlers[vector] = fn;
}

uint32_t trap_stub(unsigned vector)
{
	return (uint32_t)trap_stubs + 16 * vector;
}

bool report_trap(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ok, fmt, ap);
	va_end(ap);
	if (!ok && trap_catch.vector == TRAP_NONE)
		note("caught nothing (body 0x%08x-0x%08x)", trap_catch.start, trap_catch.end);
	else if (!ok)
		note("caught vector=%u error=0x%x cs:eip=0x%x:0x%08x cr2=0x%08x (body 0x%08x-0x%08x)",
		     trap_catch.vector, trap_catch.error, trap_catch.cs, trap_catch.eip,
		     trap_catch.cr2, trap_catch.start, trap_catch.end);
	return ok;
}

void trap_unexpected(const struct trap_frame *f)
{
	printf("# unexpected exception vector=%u error=0x%x eip=0x%08x cs=0x%x eflags=0x%x",
	       f->vector, f->error, f->eip, f->cs, f->eflags);
	if (f->vector == VEC_PF)
		printf(" cr2=0x%08x", read_cr2());
	printf("\n");
	guest_exit(EXIT_UNEXPECTED_TRAP);
}

void trap_dispatch(struct trap_frame *f)
{
	if (handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	if (f->vector == USER_EXIT_VECTOR && (f->cs & 3) == 3)
		user_return(f->ebx);
	if (!trap_catch.resume)
		trap_unexpected(f);
	trap_catch.vector = f->vector;
	trap_catch.error = f->error;
	trap_catch.eip = f->eip;
	trap_catch.cs = f->cs;
	trap_catch.cr2 = f->vector == VEC_PF ? read_cr2() : 0;
	trap_catch.eflags = f->eflags;
	trap_catch.esp = (f->cs & 3) ? f->esp : (uint32_t)&f->esp;
	f->eip = trap_catch.resume;
	f->cs = (f->cs & 3) ? SEL_UCODE : SEL_KCODE;
	f->eflags &= ~EFLAGS_TF;
	trap_catch.resume = 0;
}
