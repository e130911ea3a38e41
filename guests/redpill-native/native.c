/*
 * native.c - the VM-detection tricks (guests/redpill/tricks.h) as a 32-bit
 * Linux process on the host: the baseline column of `softvt demo redpill`
 * (this host is itself a virtual machine, with UMIP).
 */
#include <stdint.h>
#include <stdio.h>

#include "../redpill/tricks.h"

int main(void)
{
	static struct tricks t;
	tricks_run(&t);
	tricks_print(&t);
	return 0;
}
