# Normalizes what the deprivileged guest kernel and its user code see of the
# *host* under --accel naive, which depends on the host CPU and kernel (UMIP
# emulation or real values): SGDT/SIDT bases and limits, SLDT/STR selectors.
s/^ring([03]) (sgdt|sidt) base=[0-9a-f]+ limit=[0-9a-f]+$/ring\1 \2 base=<host> limit=<host>/
s/^ring([03]) (sldt|str) sel=[0-9a-f]+$/ring\1 \2 sel=<host>/
