# bios_calls.py - gdb script (run by scripts/bios-calls-qemu.sh): count the
# BIOS services a boot chain calls under QEMU and SeaBIOS, by stage.
#
# QEMU is started stopped, with its gdb stub on $BIOS_CALLS_PORT. When the
# firmware reaches 0000:7C00 (the boot sector), the handlers the interrupt
# vector table then names for INT 10h-1Ah get a breakpoint each; at every hit
# the caller (return CS:IP on the stack) and AX are recorded, the breakpoint
# is stepped over, and the run goes on until the shell script, having seen
# the kernel's banner on the serial port (no BIOS calls after that), creates
# the file $BIOS_CALLS_DONE and interrupts gdb. Then one line per (stage,
# service) is printed, in order of first use:
#	CALLS <stage> INT 13h AH=42h <count>
# gdb shows the real-mode PC as IP alone, so stops are matched by hand
# (CS * 16 + IP) rather than by gdb's breakpoint bookkeeping.
import collections
import os
import gdb

VECTORS = (0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x19, 0x1a)
NO_FUNCTION = (0x11, 0x12, 0x19)          # services without a function code
AX_FUNCTIONS = (0x24, 0x53, 0xe8, 0xe9)   # INT 15h: AH selects a group, AL the call


def mem(addr, size):
    return gdb.selected_inferior().read_memory(addr, size).tobytes()


def u16(addr):
    return int.from_bytes(mem(addr, 2), 'little')


def reg(name):
    return int(gdb.parse_and_eval('$' + name)) & 0xffffffff


def stage_of(cs, ip):
    """Name the code that made the call from its real-mode return address."""
    lin = cs * 16 + ip
    if 0x600 <= lin < 0x800:
        return 'mbr'
    if 0x7c00 <= lin < 0x7e00:
        return 'bootsector'
    # Linux's setup code runs with CS = its load segment + 0x20; the setup
    # header's "HdrS" magic sits at offset 0x202 from the load segment.
    for base in (cs * 16 - 0x200, cs * 16):
        if base >= 0 and mem(base + 0x202, 4) == b'HdrS':
            return 'linux-setup'
    if os.environ.get('BIOS_CALLS_DEBUG'):
        return 'loader@%04x:%04x' % (cs, ip)
    return 'loader'


def service(vec, ax):
    ah = ax >> 8
    if vec in NO_FUNCTION:
        return 'INT %02Xh' % vec
    if vec == 0x15 and ah in AX_FUNCTIONS:
        return 'INT 15h AX=%04Xh' % ax
    return 'INT %02Xh AH=%02Xh' % (vec, ah)


def next_call(handlers, counts):
    """Run to the next BIOS call and count it; False on a stop elsewhere."""
    gdb.execute('continue', to_string=True)
    if os.path.exists(os.environ['BIOS_CALLS_DONE']):
        return True
    cs, ip = reg('cs') & 0xffff, reg('eip')
    lin = cs * 16 + ip
    if lin not in handlers:
        print('CALLS-ERROR unexpected stop at %04x:%08x' % (cs, ip))
        return False
    vec, bp = handlers[lin]
    stack = (reg('ss') & 0xffff) * 16 + (reg('esp') & 0xffff)
    key = (stage_of(u16(stack + 2), u16(stack)), service(vec, reg('eax') & 0xffff))
    counts[key] = counts.get(key, 0) + 1
    bp.enabled = False
    gdb.execute('stepi', to_string=True)
    bp.enabled = True
    return True


def main():
    gdb.execute('target remote 127.0.0.1:%s' % os.environ['BIOS_CALLS_PORT'])
    gdb.execute('break *0x7c00')
    gdb.execute('continue')
    gdb.execute('delete')
    handlers = {}
    for vec in VECTORS:
        lin = u16(vec * 4 + 2) * 16 + u16(vec * 4)
        handlers.setdefault(lin, (vec, gdb.Breakpoint('*0x%x' % lin, internal=True)))
    counts = collections.OrderedDict()
    while not os.path.exists(os.environ['BIOS_CALLS_DONE']):
        try:
            if not next_call(handlers, counts):
                break
        except KeyboardInterrupt:
            pass
    for (stage, what), n in counts.items():
        print('CALLS %s %s %d' % (stage, what, n))
    gdb.execute('kill')


main()
