/* SPDX-License-Identifier: MIT */
/*
 * /init of the kallsyms initramfs (tests/e2e/kallsyms-linux.sh): prints the
 * running kernel's /proc/kallsyms on the console between two marker lines,
 * then powers the machine off, so QEMU exits.
 *
 *   FIXMAP-KALLSYMS-BEGIN
 *   ffff800080000000 T _text
 *   ...
 *   FIXMAP-KALLSYMS-END lines=N
 *
 * kptr_restrict is set to 0 first: the addresses are printed, not zeros.
 * Errors are printed as "fixmap-init: what: errno N"; the end marker is
 * printed in every case, with the error count. With the argument "hold"
 * (kernel command line "... -- hold") the machine stays up afterwards, idle,
 * for a debugger.
 */
#include "sys.h"

static char buf[1 << 16];

int main(int argc, char **argv, char **envp);
int main(int argc, char **argv, char **envp)
{
	long lines = 0, errors = 0;
	int fd, hold = 0;

	(void)envp;
	for (int i = 1; i < argc; i++)
		hold |= str_eq(argv[i], "hold");
	if (check(sys_mount("proc", "/proc", "proc", 0, 0), "fixmap-init: mount /proc") < 0)
		errors++;
	fd = (int)check(sys_open("/proc/sys/kernel/kptr_restrict", O_WRONLY, 0),
			"fixmap-init: open kptr_restrict");
	if (fd >= 0) {
		if (check(sys_write(fd, "0\n", 2), "fixmap-init: write kptr_restrict") < 0)
			errors++;
		sys_close(fd);
	} else {
		errors++;
	}
	put_str(1, "\nFIXMAP-KALLSYMS-BEGIN\n");
	fd =
	    (int)check(sys_open("/proc/kallsyms", O_RDONLY, 0), "fixmap-init: open /proc/kallsyms");
	if (fd >= 0) {
		for (;;) {
			ssize_t n =
			    check(sys_read(fd, buf, sizeof(buf)), "fixmap-init: read kallsyms");

			if (n <= 0) {
				errors += n < 0;
				break;
			}
			for (ssize_t i = 0; i < n; i++)
				lines += buf[i] == '\n';
			if (check(write_all(1, buf, (size_t)n), "fixmap-init: write console") < 0) {
				errors++;
				break;
			}
		}
		sys_close(fd);
	} else {
		errors++;
	}
	put_str(1, "FIXMAP-KALLSYMS-END lines=");
	put_dec(1, lines);
	put_str(1, " errors=");
	put_dec(1, errors);
	put_str(1, "\n");
	while (hold)
		sys_pause();
	sys_poweroff();
}
