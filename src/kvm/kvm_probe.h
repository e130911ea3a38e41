/*
 * kvm_probe.h - can this host's /dev/kvm run a 32-bit guest?
 *
 * Runs a tiny 32-bit protected-mode guest with paging on (one 4 MiB PSE
 * page) that writes 0x42 to port 0x80 and halts. Some /dev/kvm providers
 * (kvm_pvm, a software hypervisor for nested clouds) exist but end such a
 * guest in an internal error; the probe says exactly what happened, so
 * `softvt info`, the tests and `softvt bench` can skip with that reason.
 */
#ifndef SOFTVT_KVM_KVM_PROBE_H
#define SOFTVT_KVM_KVM_PROBE_H

#include <stddef.h>

/* 0 if the probe guest ran correctly; -1 with the reason in why. */
int kvm_probe_32bit(char *why, size_t whylen);

#endif
