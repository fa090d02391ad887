# Initramfs images for booting Linux under QEMU in tests (included by the top
# Makefile). Built without root and without an arm64 libc:
#
#   tests/initramfs/init_NAME.c  ->  $(BUILD)/initramfs/NAME.cpio
#
# holding /init (init_NAME.c, freestanding and static: tests/initramfs/sys.h
# has the raw system calls, start.S the entry point), /dev/console, /proc,
# /sys and /tmp. Boot it with `-initrd $(BUILD)/initramfs/NAME.cpio` (see
# linux_boot -i in scripts/linux-lib.sh). mkcpio (a host program) writes the
# newc archive from a gen_init_cpio-style list, so another image needs only
# another list.

INITRAMFS_CC ?= aarch64-linux-gnu-gcc
INITRAMFS_CFLAGS := -std=gnu11 -O2 -g -static -nostdlib -ffreestanding -fno-stack-protector \
	-fno-pic -no-pie -fno-asynchronous-unwind-tables -Wall -Wextra -Werror \
	-Wno-unused-function
INITRAMFS_INITS := $(sort $(wildcard tests/initramfs/init_*.c))
INITRAMFS_CPIO := $(INITRAMFS_INITS:tests/initramfs/init_%.c=$(BUILD)/initramfs/%.cpio)

$(BUILD)/initramfs/mkcpio: tests/initramfs/mkcpio.c
	@mkdir -p $(dir $@)
	$(call quiet,CC,$<)$(CC) $(HOST_CFLAGS) $(CFLAGS) -o $@ $<

$(BUILD)/initramfs/init-%: tests/initramfs/init_%.c tests/initramfs/start.S tests/initramfs/sys.h
	@mkdir -p $(dir $@)
	$(call quiet,CC-A64,$<)$(INITRAMFS_CC) $(INITRAMFS_CFLAGS) -o $@ tests/initramfs/start.S $<

$(BUILD)/initramfs/%.cpio: $(BUILD)/initramfs/init-% $(BUILD)/initramfs/mkcpio
	$(call quiet,CPIO,$@)printf '%s\n' 'dir /dev 0755 0 0' 'nod /dev/console 0600 0 0 c 5 1' \
		'dir /proc 0755 0 0' 'dir /sys 0755 0 0' 'dir /tmp 1777 0 0' \
		'file /init $< 0755 0 0' | $(BUILD)/initramfs/mkcpio $@.tmp && mv $@.tmp $@

initramfs: $(INITRAMFS_CPIO)

CHECK_EXTRA += $(INITRAMFS_CPIO)

.PHONY: initramfs
