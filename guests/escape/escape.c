/*
 * escape - a hostile guest (issue 5's acceptance): ring-3 code that, when
 * softvt runs it directly (--accel bt --user direct), tries to make a host
 * system call (escape64.S). The command line is "PATH CALL":
 *
 *   PATH  libc       far jump to the host's 64-bit selector 0x33, then a
 *                    jump to the host C library's SYSCALL instruction
 *                    (above 4 GiB, where the monitor's own calls come from);
 *                    finding it in a randomized address space is the
 *                    attacker's own work: here the harness does it (from
 *                    /proc/PID/maps and the library file) and types its
 *                    address in hex on COM1, which ring 0 reads first
 *         gate       the far jump, then SYSCALL in the guest's own code
 *         int80      INT 0x80        (i386 system call numbers)
 *         syscall32  compat SYSCALL  (i386 numbers)
 *         sysenter   SYSENTER        (i386 numbers)
 *   CALL  write9     write "ESCAPED-WRITE" to fd 9 (the harness opens it)
 *         open=P     open(P, O_CREAT|O_WRONLY)
 *         execve     /bin/sh -c "echo ESCAPED-EXEC >&9"
 *         exit_group exit status 42
 *
 * None may happen. libc: softvt's jail stops it (exit status 100, its
 * report). The others: src/direct traps them - the guest sees a fault (here
 * an unexpected exception: no gate for INT 0x80) or softvt stops with a
 * message. If the instruction returns to the guest, the guest says so.
 * Run by tests/cli/jail.sh; not one of the golden-output guests.
 */
#include "guest.h"

struct escape_req {
	uint64_t nr, a0, a1, a2, gadget;
};

uint32_t escape_user(void *req);
uint32_t escape_gate(void *req);
uint32_t escape_int80(void *req);
uint32_t escape_syscall32(void *req);
uint32_t escape_sysenter(void *req);

#define COM1 0x3f8

static struct escape_req req;
static char path[128];
static const char marker[] = "ESCAPED-WRITE\n";
static const char sh[] = "/bin/sh", dash_c[] = "-c", cmd[] = "echo ESCAPED-EXEC >&9";
static uint64_t argv64[4];
static uint32_t argv32[4];

/* Does s start with word, followed by a space, '=' or its end? */
static bool starts(const char *s, const char *word)
{
	while (*word)
		if (*s++ != *word++)
			return false;
	return *s == 0 || *s == ' ' || *s == '=';
}

static const char *next_word(const char *s)
{
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
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

static uint32_t (*path_fn)(void *);

static uint32_t in_ring3(void *arg)
{
	return path_fn(arg);
}

/* The request for CALL with i386 (!wide) or x86-64 numbers; false if unknown. */
static bool make_request(const char *call, bool wide)
{
	if (starts(call, "write9")) {
		req = (struct escape_req){ .nr = wide ? 1 : 4, .a0 = 9, .a1 = (uint32_t)marker,
					   .a2 = sizeof(marker) - 1 };
	} else if (starts(call, "open")) {
		const char *p = call + 4;
		unsigned i = 0;
		if (*p == '=')
			p++;
		while (*p && *p != ' ' && i + 1 < sizeof(path))
			path[i++] = *p++;
		path[i] = 0;
		req = (struct escape_req){ .nr = wide ? 2 : 5, .a0 = (uint32_t)path,
					   .a1 = 0101 };   /* O_CREAT | O_WRONLY */
	} else if (starts(call, "execve")) {
		argv64[0] = argv32[0] = (uint32_t)sh;
		argv64[1] = argv32[1] = (uint32_t)dash_c;
		argv64[2] = argv32[2] = (uint32_t)cmd;
		req = (struct escape_req){ .nr = wide ? 59 : 11, .a0 = (uint32_t)sh,
					   .a1 = wide ? (uint32_t)argv64 : (uint32_t)argv32 };
	} else if (starts(call, "exit_group")) {
		req = (struct escape_req){ .nr = wide ? 231 : 252, .a0 = 42 };
	} else {
		return false;
	}
	return true;
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	const char *cl = (mbi->flags & (1u << 2)) ? (const char *)mbi->cmdline : "";
	while (*cl == ' ')
		cl++;
	static const struct {
		const char *name;
		uint32_t (*fn)(void *);
		bool wide;
	} paths[] = {
		{ "libc", escape_user, true },        { "gate", escape_gate, true },
		{ "int80", escape_int80, false },     { "syscall32", escape_syscall32, false },
		{ "sysenter", escape_sysenter, false },
	};
	unsigned k = 0;
	while (k < sizeof(paths) / sizeof(paths[0]) && !starts(cl, paths[k].name))
		k++;
	if (k == sizeof(paths) / sizeof(paths[0]) || !make_request(next_word(cl), paths[k].wide)) {
		report(false, "command line is PATH CALL: '%s'", cl);
		return;
	}
	path_fn = paths[k].fn;
	if (path_fn == escape_user) {
		note("escape: waiting for the address of a SYSCALL instruction on COM1");
		req.gadget = read_hex_line();
	}
	note("escape: %s, host system call %u", paths[k].name, (unsigned)req.nr);
	uint32_t r = user_call(in_ring3, &req, EFLAGS_IF | 0x2);
	report(false, "the %s instruction came back to the guest (%08x)", paths[k].name, r);
}
