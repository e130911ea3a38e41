/*
 * errmsg.h - the one-line error messages of the vmm layer: format into the
 * caller's buffer and return -1, so `return errmsg(err, n, "...")` reads as
 * the failure it is.
 */
#ifndef SOFTVT_VMM_ERRMSG_H
#define SOFTVT_VMM_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

static inline int errmsg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int errmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

#endif
