/*
 * stats_kvm.h - engine kvm's statistics for --stats (text) and --stats-json.
 */
#ifndef SOFTVT_VMM_STATS_KVM_H
#define SOFTVT_VMM_STATS_KVM_H

#include <stdio.h>

#include "kvm/kvm_vm.h"
#include "vmm/json.h"

/* A few aligned "softvt: stats: kvm ..." lines; seconds: the run time. */
void kvm_stats_print(const struct kvm_vm_stats *s, double seconds, FILE *f);

/* The members of the "kvm" object of the --stats-json output. */
void kvm_stats_json(const struct kvm_vm_stats *s, double seconds, struct json *j);

#endif
