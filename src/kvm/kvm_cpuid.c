/*
 * kvm_cpuid.c - the guest's CPUID under KVM: the machine's virtual CPU
 * model (cpu/cpu_model.c, the same leaves the interpreter answers), each
 * feature bit ANDed with what KVM_GET_SUPPORTED_CPUID says this host and
 * KVM can give, so the guest never sees a feature it cannot use.
 *
 * The model first grows MMX, SSE and SSE2 where KVM supports them (their
 * state is in kvm_fpu, which kvm_sync.c moves). XSAVE and AVX are not
 * shown: the other engines keep components >= 2 in the bus's XSAVE area,
 * which this engine does not fill yet. The KVM paravirtual leaves
 * (0x40000000) are not given: the guest sees the softvt CPU, not KVM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "kvm/kvm_priv.h"

#define MAX_ENTRIES 64

static struct kvm_cpuid2 *cpuid_alloc(unsigned n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
	if (c)
		c->nent = n;
	return c;
}

static struct kvm_cpuid2 *supported_cpuid(int kvm, char *err, size_t errlen)
{
	for (unsigned n = 128; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = cpuid_alloc(n);
		if (!c) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		int e = errno;
		free(c);
		if (e != E2BIG) {
			snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID failed: %s", strerror(e));
			return NULL;
		}
	}
	snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: too many entries");
	return NULL;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, uint32_t fn,
					    uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     c->entries[i].index == index))
			return &c->entries[i];
	return NULL;
}

/* The feature registers of a leaf, ANDed with KVM's; a leaf KVM lacks has none. */
static void filter(struct kvm_cpuid_entry2 *e, const struct kvm_cpuid2 *sup)
{
	const struct kvm_cpuid_entry2 *s = find(sup, e->function, e->index);
	switch (e->function) {
	case 1:
		e->ecx &= s ? s->ecx : 0;
		e->edx &= s ? s->edx : 0;
		break;
	case 7:
		e->ebx &= s ? s->ebx : 0;
		e->ecx &= s ? s->ecx : 0;
		e->edx &= s ? s->edx : 0;
		break;
	case 0xd:
		if (e->index == 0) {
			e->eax &= s ? s->eax : 0;
			e->edx &= s ? s->edx : 0;
		}
		break;
	case 0x80000001u:
		e->ecx &= s ? s->ecx : 0;
		e->edx &= s ? s->edx : 0;
		break;
	}
}

static void add_leaf(struct kvm_cpuid2 *out, const struct cpu_model *model, uint32_t fn,
		     uint32_t index, bool indexed, const struct kvm_cpuid2 *sup)
{
	if (out->nent >= MAX_ENTRIES)
		return;
	uint32_t r[4];
	cpu_model_cpuid(model, NULL, fn, index, r);
	struct kvm_cpuid_entry2 *e = &out->entries[out->nent++];
	*e = (struct kvm_cpuid_entry2){
		.function = fn, .index = index,
		.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		.eax = r[0], .ebx = r[1], .ecx = r[2], .edx = r[3],
	};
	filter(e, sup);
}

int kvm_cpuid_setup(struct kvm_vm *vm, struct cpu_model *model, char *err, size_t errlen)
{
	struct kvm_cpuid2 *sup = supported_cpuid(vm->kvm, err, errlen);
	if (!sup)
		return -1;
	const struct kvm_cpuid_entry2 *one = find(sup, 1, 0);
	if (one)
		model->edx_features |= one->edx & CPU_MODEL_OPTIONAL;

	struct kvm_cpuid2 *out = cpuid_alloc(MAX_ENTRIES);
	if (!out) {
		free(sup);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	out->nent = 0;
	uint32_t r[4];
	cpu_model_cpuid(model, NULL, 0, 0, r);
	for (uint32_t fn = 0; fn <= r[0]; fn++) {
		if (fn == 4 || fn == 7 || fn == 0xb) {
			add_leaf(out, model, fn, 0, true, sup);
		} else if (fn == 0xd) {
			for (uint32_t sub = 0; sub < XSAVE_NCOMP; sub++)
				add_leaf(out, model, fn, sub, true, sup);
		} else {
			add_leaf(out, model, fn, 0, false, sup);
		}
	}
	cpu_model_cpuid(model, NULL, 0x80000000u, 0, r);
	for (uint32_t fn = 0x80000000u; fn <= r[0]; fn++)
		add_leaf(out, model, fn, 0, false, sup);

	/* what the guest sees is what the other engines' model says, minus what KVM lacks */
	const struct kvm_cpuid_entry2 *mine = find(out, 1, 0);
	if (mine) {
		model->edx_features = mine->edx;
		model->ecx_features = mine->ecx;
	}

	int rc = ioctl(vm->vcpu, KVM_SET_CPUID2, out);
	if (rc < 0)
		snprintf(err, errlen, "KVM_SET_CPUID2 failed: %s", strerror(errno));
	free(out);
	free(sup);
	return rc < 0 ? -1 : 0;
}
