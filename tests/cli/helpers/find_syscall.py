#!/usr/bin/env python3
"""find_syscall.py PID: prints (hex, no 0x) the address of a SYSCALL instruction (bytes
0F 05) in the C library's executable mapping of process PID, found from /proc/PID/maps and
the library file itself: what a guest that took over the process would look for
(tests/cli/jail.sh, guests/escape)."""
import re
import sys

pid = sys.argv[1]
with open(f"/proc/{pid}/maps") as maps:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r-xp ([0-9a-f]+) \S+ \d+\s+(\S*/libc\.so[.0-9]*)$",
                     line.strip())
        if not m:
            continue
        start, end, off, path = int(m[1], 16), int(m[2], 16), int(m[3], 16), m[4]
        with open(path, "rb") as f:
            f.seek(off)
            code = f.read(end - start)
        at = code.find(b"\x0f\x05")
        if at >= 0:
            print(f"{start + at:x}")
            sys.exit(0)
sys.exit("no libc executable mapping with a SYSCALL instruction")
