/* SPDX-License-Identifier: MIT */
/*
 * Raw Linux system calls for a freestanding static arm64 program (no libc):
 * an initramfs's /init built with
 *
 *   aarch64-linux-gnu-gcc -static -nostdlib -ffreestanding ... start.S init_NAME.c
 *
 * start.S calls int main(int argc, char **argv, char **envp); returning from
 * it exits the process (for pid 1 that is a kernel panic: power off instead).
 * Calls return the kernel's result: >= 0, or -errno. Numbers are those of
 * include/uapi/asm-generic/unistd.h, which arm64 uses.
 */
#ifndef FIXMAP_INITRAMFS_SYS_H
#define FIXMAP_INITRAMFS_SYS_H

typedef unsigned long size_t;
typedef long ssize_t;

#define SYS_ioctl 29
#define SYS_mkdirat 34
#define SYS_mount 40
#define SYS_openat 56
#define SYS_close 57
#define SYS_read 63
#define SYS_write 64
#define SYS_ppoll 73
#define SYS_exit 93
#define SYS_nanosleep 101
#define SYS_reboot 142
#define SYS_getpid 172
#define SYS_munmap 215
#define SYS_mmap 222

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_CLOEXEC 02000000

#define PROT_READ 1
#define PROT_WRITE 2
#define MAP_PRIVATE 2
#define MAP_ANONYMOUS 0x20

/* reboot(2) */
#define LINUX_REBOOT_MAGIC1 0xfee1deadu
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcu

static inline long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory", "cc");
	return x0;
}

#define sys0(n) sys6((n), 0, 0, 0, 0, 0, 0)
#define sys1(n, a) sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

static inline int sys_open(const char *path, int flags, int mode)
{
	return (int)sys4(SYS_openat, AT_FDCWD, path, flags, mode);
}
static inline int sys_close(int fd) { return (int)sys1(SYS_close, fd); }
static inline ssize_t sys_read(int fd, void *buf, size_t n) { return sys3(SYS_read, fd, buf, n); }
static inline ssize_t sys_write(int fd, const void *buf, size_t n)
{
	return sys3(SYS_write, fd, buf, n);
}
static inline long sys_ioctl(int fd, unsigned long req, long arg)
{
	return sys3(SYS_ioctl, fd, req, arg);
}
static inline int sys_mkdir(const char *path, int mode)
{
	return (int)sys3(SYS_mkdirat, AT_FDCWD, path, mode);
}
static inline int sys_mount(const char *src, const char *dst, const char *type, unsigned long flags,
			    const void *data)
{
	return (int)sys5(SYS_mount, src, dst, type, flags, data);
}
static inline void *sys_mmap_anon(size_t len)
{
	return (void *)sys6(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
static inline __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		sys1(SYS_exit, code);
}
/* Sleeps until a signal (ppoll with no descriptors and no timeout). */
static inline void sys_pause(void) { sys5(SYS_ppoll, 0, 0, 0, 0, 0); }
/* Powers the machine off (QEMU exits); needs CAP_SYS_BOOT, which init has. */
static inline __attribute__((noreturn)) void sys_poweroff(void)
{
	for (;;)
		sys4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		     LINUX_REBOOT_CMD_POWER_OFF, 0);
}

/* ---- a few helpers (no libc) ---- */

static inline size_t str_len(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static inline int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* Writes all of buf (the console may take it in pieces): 0, or -errno. */
static inline int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = sys_write(fd, p, n);

		if (w < 0)
			return (int)w;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static inline int put_str(int fd, const char *s) { return write_all(fd, s, str_len(s)); }

/* Writes v in decimal (negative values with a '-'). */
static inline int put_dec(int fd, long v)
{
	char buf[24];
	int i = sizeof(buf);
	unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;

	do
		buf[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		buf[--i] = '-';
	return write_all(fd, buf + i, sizeof(buf) - (size_t)i);
}

/* Writes "what: errno N\n" to fd 2 when r < 0; returns r. */
static inline long check(long r, const char *what)
{
	if (r < 0) {
		put_str(2, what);
		put_str(2, ": errno ");
		put_dec(2, -r);
		put_str(2, "\n");
	}
	return r;
}

/* gcc may emit calls to these even with -ffreestanding. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);

#endif
