# Normalizes what guest user code sees of the *host* under --user direct, which
# depends on the host CPU and kernel (UMIP emulation or real values): the
# ring-3 SGDT/SIDT bases and limits and the SLDT/STR selectors.
s/^ring3 (sgdt|sidt) base=[0-9a-f]+ limit=[0-9a-f]+$/ring3 \1 base=<host> limit=<host>/
s/^ring3 (sldt|str) sel=[0-9a-f]+$/ring3 \1 sel=<host>/
