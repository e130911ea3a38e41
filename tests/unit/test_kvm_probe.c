/*
 * test_kvm_probe.c - the 32-bit /dev/kvm probe. Where the probe guest runs
 * (a host with VT-x/AMD-V), this passes: the probe checked an OUT to port
 * 0x80 and a HLT. Where it cannot (no /dev/kvm, or kvm_pvm), the test is
 * skipped (exit 77) and prints the probe's reason; it never passes untested.
 */
#include <stdio.h>
#include <string.h>

#include "kvm/kvm_probe.h"

int main(void)
{
	char why[512];
	if (kvm_probe_32bit(why, sizeof(why)) != 0) {
		printf("SKIP: %s\n", why);
		return 77;
	}
	if (!strstr(why, "ran the 32-bit paging probe guest")) {
		printf("FAIL: probe succeeded with an unexpected report: %s\n", why);
		return 1;
	}
	printf("PASS: %s\n", why);
	return 0;
}
