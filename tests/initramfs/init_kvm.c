/* SPDX-License-Identifier: MIT */
/*
 * /init of the KVM initramfs (tests/e2e/record-linux.sh, bench/record.sh):
 * makes a protected-KVM host's hypervisor do stage-2 and hyp fixmap
 * maintenance. For ROUNDS rounds it creates a VM with one vCPU, gives it guest
 * memory, runs the vCPU (a few instructions that touch 64 pages, so EL2 maps
 * them at stage 2, then exit through an MMIO store), takes the memory away and
 * gives it back (stage-2 unmap: TLBI by IPA), runs it again, and destroys the
 * VM (the hypervisor tears its stage 2 down and gives the pages back). Then it
 * powers the machine off, so QEMU exits.
 *
 * Console lines: "fixmap-kvm: round N ok", at the end "fixmap-kvm: done
 * rounds=N errors=E"; errors as "fixmap-kvm: what: errno N".
 */
#include "sys.h"

#define ROUNDS 4
#define GUEST_IPA 0x80000000ul /* guest RAM */
#define GUEST_SIZE (1ul << 20)
#define MAP_SHARED 1

/* <linux/kvm.h>: _IO(0xAE, nr), _IOW/_IOR with the struct size. */
#define KVM_CREATE_VM 0xae01ul
#define KVM_GET_VCPU_MMAP_SIZE 0xae04ul
#define KVM_CREATE_VCPU 0xae41ul
#define KVM_SET_USER_MEMORY_REGION 0x4020ae46ul
#define KVM_RUN 0xae80ul
#define KVM_SET_ONE_REG 0x4010aeacul
#define KVM_ARM_VCPU_INIT 0x4020aeaeul
#define KVM_ARM_PREFERRED_TARGET 0x8020aeaful
#define KVM_EXIT_MMIO 6
/* KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | offsetof(struct kvm_regs, regs.pc) / 4 */
#define REG_PC 0x6030000000100040ul

struct kvm_userspace_memory_region {
	unsigned int slot, flags;
	unsigned long guest_phys_addr, memory_size, userspace_addr;
};
struct kvm_one_reg {
	unsigned long id, addr;
};
struct kvm_vcpu_init {
	unsigned int target, features[7];
};

/*
 * The guest, at GUEST_IPA (MMU off):
 *	mov	x1, #0x80010000
 *	mov	x2, #64
 * 1:	str	x2, [x1]		// touch a page: a stage-2 fault, EL2 maps it
 *	add	x1, x1, #4096
 *	subs	x2, x2, #1
 *	b.ne	1b
 *	mov	x3, #0x90000000		// no memory there: an MMIO exit to us
 *	str	x2, [x3]
 *	b	.
 */
static const unsigned int guest_code[] = {
    0xd2b00021, 0xd2800802, 0xf9000022, 0x91400421, 0xf1000442,
    0x54ffffa1, 0xd2b20003, 0xf9000062, 0x14000000,
};

static long errors;

static long try(long r, const char *what)
{
	if (check(r, what) < 0)
		errors++;
	return r;
}

static long set_memory(int vm, unsigned long host, unsigned long size)
{
	struct kvm_userspace_memory_region m = {
	    .slot = 0, .guest_phys_addr = GUEST_IPA, .memory_size = size, .userspace_addr = host};

	return sys_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (long)&m);
}

/* Runs the guest from its start until its MMIO exit: 0, or -1. */
static int run_guest(int vcpu, volatile unsigned int *exit_reason)
{
	unsigned long pc = GUEST_IPA;
	struct kvm_one_reg r = {.id = REG_PC, .addr = (unsigned long)&pc};

	if (try(sys_ioctl(vcpu, KVM_SET_ONE_REG, (long)&r), "fixmap-kvm: set pc") < 0)
		return -1;
	if (try(sys_ioctl(vcpu, KVM_RUN, 0), "fixmap-kvm: run") < 0)
		return -1;
	if (*exit_reason != KVM_EXIT_MMIO) {
		put_str(1, "fixmap-kvm: unexpected exit reason ");
		put_dec(1, *exit_reason);
		put_str(1, "\n");
		errors++;
		return -1;
	}
	return 0;
}

static int round(int kvm, long run_size)
{
	struct kvm_vcpu_init init;
	unsigned long mem;
	char *run;
	int vm, vcpu, rc = -1;

	vm = (int)try(sys_ioctl(kvm, KVM_CREATE_VM, 0), "fixmap-kvm: create vm");
	if (vm < 0)
		return -1;
	mem = (unsigned long)sys_mmap_anon(GUEST_SIZE);
	if ((long)mem < 0 && (long)mem > -4096) {
		try((long)mem, "fixmap-kvm: mmap guest memory");
		goto close_vm;
	}
	memcpy((void *)mem, guest_code, sizeof(guest_code));
	if (try(set_memory(vm, mem, GUEST_SIZE), "fixmap-kvm: set memory") < 0)
		goto unmap;
	vcpu = (int)try(sys_ioctl(vm, KVM_CREATE_VCPU, 0), "fixmap-kvm: create vcpu");
	if (vcpu < 0)
		goto unmap;
	if (try(sys_ioctl(vm, KVM_ARM_PREFERRED_TARGET, (long)&init), "fixmap-kvm: target") < 0 ||
	    try(sys_ioctl(vcpu, KVM_ARM_VCPU_INIT, (long)&init), "fixmap-kvm: vcpu init") < 0)
		goto close_vcpu;
	run = (char *)sys6(SYS_mmap, 0, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if ((long)run < 0 && (long)run > -4096) {
		try((long)run, "fixmap-kvm: mmap kvm_run");
		goto close_vcpu;
	}
	/* Run, take the memory away (stage-2 unmap), give it back, run again. */
	if (run_guest(vcpu, (volatile unsigned int *)(run + 8)) == 0 &&
	    try(set_memory(vm, mem, 0), "fixmap-kvm: delete memory") >= 0 &&
	    try(set_memory(vm, mem, GUEST_SIZE), "fixmap-kvm: set memory again") >= 0 &&
	    run_guest(vcpu, (volatile unsigned int *)(run + 8)) == 0)
		rc = 0;
	sys2(SYS_munmap, run, run_size);
close_vcpu:
	sys_close(vcpu);
unmap:
	sys2(SYS_munmap, mem, GUEST_SIZE);
close_vm:
	sys_close(vm); /* the last reference: the VM and its stage 2 are torn down */
	return rc;
}

int main(int argc, char **argv, char **envp);
int main(int argc, char **argv, char **envp)
{
	long run_size;
	int kvm, n = 0;

	(void)argc;
	(void)argv;
	(void)envp;
	/* /dev/kvm comes with devtmpfs. */
	try(sys_mount("devtmpfs", "/dev", "devtmpfs", 0, 0), "fixmap-kvm: mount /dev");
	kvm = sys_open("/dev/kvm", O_RDWR | O_CLOEXEC, 0);
	if (try(kvm, "fixmap-kvm: open /dev/kvm") >= 0) {
		run_size = try(sys_ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), "fixmap-kvm: mmap size");
		for (int i = 1; i <= ROUNDS && run_size > 0; i++) {
			if (round(kvm, run_size))
				break;
			put_str(1, "fixmap-kvm: round ");
			put_dec(1, i);
			put_str(1, " ok\n");
			n = i;
		}
		sys_close(kvm);
	}
	put_str(1, "fixmap-kvm: done rounds=");
	put_dec(1, n);
	put_str(1, " errors=");
	put_dec(1, errors);
	put_str(1, "\n");
	sys_poweroff();
}
