/*
 * task.c - hardware task switches (see task.h; SDM vol. 3A 7.3).
 */
#include "cpu/task.h"

void task_switch(struct vcpu *v, uint16_t sel, enum task_source source, uint32_t ext)
{
	(void)source;
	(void)ext;
	vcpu_unsupported(v, "task switch to TSS selector %04x is not implemented yet", sel);
}
