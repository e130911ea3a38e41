/*
 * escape - a hostile guest (issue 5's acceptance): ring-3 code that, when
 * softvt runs it directly (--accel bt --user direct), leaves its 32-bit
 * segment for the host's 64-bit code (selector 0x33) and makes a host
 * system call through the C library's SYSCALL instruction (escape64.S).
 * Finding that instruction in a randomized address space is the attacker's
 * own work; here the harness does it (from /proc/PID/maps and the library
 * file) and types its address in hex on COM1, which ring 0 reads first.
 * The command line chooses the call:
 *   write9        write "ESCAPED-WRITE" to fd 9 (the harness opens it)
 *   open PATH     openat(AT_FDCWD, PATH, O_CREAT|O_WRONLY)
 *   execve        /bin/sh -c "echo ESCAPED-EXEC >&9"
 *   exit_group    exit status 42
 * None may happen: under the jail softvt stops with its report and exit
 * status 3 (tests/cli/jail.sh). Were the call to return, or the escape to
 * fault in the guest (other engines: 0x33 is just a guest selector), the
 * guest reports that and exits 1. Not one of the golden-output guests.
 */
#include "guest.h"

struct escape_req {
	uint64_t nr, a0, a1, a2, gadget;
};

#define COM1 0x3f8

uint32_t escape_user(void *req);

static struct escape_req req;
static char path[128];
static const char marker[] = "ESCAPED-WRITE\n";
static const char sh[] = "/bin/sh", dash_c[] = "-c", cmd[] = "echo ESCAPED-EXEC >&9";
static uint64_t argv64[4];

static bool starts(const char *s, const char *word)
{
	while (*word)
		if (*s++ != *word++)
			return false;
	return *s == 0 || *s == ' ';
}

/* Reads a hex number ending in a newline from COM1 (polled). */
static uint64_t read_hex_line(void)
{
	uint64_t v = 0;
	for (;;) {
		while (!(inb(COM1 + 5) & 1))
			;
		char c = (char)inb(COM1);
		if (c == '\n' || c == '\r')
			return v;
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
	}
}

static uint32_t in_ring3(void *arg)
{
	return escape_user(arg);
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	const char *cl = (mbi->flags & (1u << 2)) ? (const char *)mbi->cmdline : "";
	while (*cl == ' ')
		cl++;
	if (starts(cl, "write9")) {
		req = (struct escape_req){ .nr = 1, .a0 = 9, .a1 = (uint32_t)marker,
					   .a2 = sizeof(marker) - 1 };
	} else if (starts(cl, "open")) {
		const char *p = cl + 4;
		unsigned i = 0;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ' && i + 1 < sizeof(path))
			path[i++] = *p++;
		path[i] = 0;
		req = (struct escape_req){ .nr = 257, .a0 = (uint64_t)-100, .a1 = (uint32_t)path,
					   .a2 = 0101 };   /* AT_FDCWD, O_CREAT | O_WRONLY */
	} else if (starts(cl, "execve")) {
		argv64[0] = (uint32_t)sh;
		argv64[1] = (uint32_t)dash_c;
		argv64[2] = (uint32_t)cmd;
		req = (struct escape_req){ .nr = 59, .a0 = (uint32_t)sh, .a1 = (uint32_t)argv64 };
	} else if (starts(cl, "exit_group")) {
		req = (struct escape_req){ .nr = 231, .a0 = 42 };
	} else {
		report(false, "command line names an escape: '%s'", cl);
		return;
	}
	note("escape: waiting for the address of a SYSCALL instruction on COM1");
	req.gadget = read_hex_line();
	note("escape: host system call %u from 64-bit code", (unsigned)req.nr);
	uint32_t r = user_call(in_ring3, &req, EFLAGS_IF | 0x2);
	report(false, "the escape came back to the guest (%08x, vector %u): it did not reach "
		      "64-bit code", r, trap_catch.vector);
}
