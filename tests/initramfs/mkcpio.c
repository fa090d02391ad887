/* SPDX-License-Identifier: MIT */
/*
 * mkcpio: writes a newc cpio archive (an initramfs for Linux, see the
 * kernel's Documentation/driver-api/early-userspace/buffer-format.rst)
 * without root: entries are described, not taken from the file system, so
 * device nodes and owners need no privileges.
 *
 *   mkcpio OUT.cpio < LIST
 *
 * LIST has one entry per line, in the kernel's gen_init_cpio syntax
 * (usr/gen_init_cpio.c); '#' starts a comment:
 *
 *   dir  NAME MODE UID GID
 *   file NAME SOURCE MODE UID GID        (the bytes of SOURCE, a host file)
 *   nod  NAME MODE UID GID c|b MAJ MIN
 *   slink NAME TARGET MODE UID GID
 *
 * MODE is octal permission bits. Errors name the line; the exit status is 2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned ino = 721;

static int pad4(FILE *out, unsigned long n)
{
	static const char zeros[4];

	return fwrite(zeros, 1, (4 - n % 4) % 4, out) == (4 - n % 4) % 4 ? 0 : -1;
}

static int header(FILE *out, const char *name, unsigned mode, unsigned uid, unsigned gid,
		  unsigned long size, unsigned rmaj, unsigned rmin)
{
	unsigned long nlen;

	while (*name == '/')
		name++; /* archive names are relative: "init", "dev/console" */
	nlen = strlen(name) + 1;
	if (fprintf(out, "070701%08X%08X%08X%08X%08X%08X%08lX%08X%08X%08X%08X%08lX%08X", ino++,
		    mode, uid, gid, mode & S_IFDIR ? 2u : 1u, 0u, size, 0u, 0u, rmaj, rmin, nlen,
		    0u) < 0 ||
	    fwrite(name, 1, nlen, out) != nlen)
		return -1;
	return pad4(out, 110 + nlen);
}

static int fail(const char *list, unsigned line, const char *why)
{
	fprintf(stderr, "mkcpio: %s:%u: %s\n", list, line, why);
	return 2;
}

static int copy_file(FILE *out, const char *name, const char *src, unsigned mode, unsigned uid,
		     unsigned gid, char *why, size_t whyn)
{
	FILE *in = fopen(src, "rb");
	char buf[65536];
	long size;
	size_t n;

	if (!in || fseek(in, 0, SEEK_END) || (size = ftell(in)) < 0 || fseek(in, 0, SEEK_SET)) {
		snprintf(why, whyn, "%s: %s", src, strerror(errno));
		if (in)
			fclose(in);
		return -1;
	}
	if (header(out, name, S_IFREG | mode, uid, gid, (unsigned long)size, 0, 0)) {
		fclose(in);
		snprintf(why, whyn, "write error");
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			break;
	if (ferror(in) || ferror(out) || ftell(in) != size) {
		fclose(in);
		snprintf(why, whyn, "%s: read or write error", src);
		return -1;
	}
	fclose(in);
	return pad4(out, (unsigned long)size);
}

int main(int argc, char **argv)
{
	char line[4096], why[512];
	unsigned lineno = 0;
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: mkcpio OUT.cpio < LIST\n");
		return 2;
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		fprintf(stderr, "mkcpio: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	while (fgets(line, sizeof(line), stdin)) {
		char kind[16], name[1024], a[1024], t[4];
		unsigned mode, uid, gid, maj, min;
		int r = -1;

		lineno++;
		if (!strchr(line, '\n') && !feof(stdin))
			return fail("stdin", lineno, "line too long");
		line[strcspn(line, "#\n")] = '\0';
		if (sscanf(line, "%15s", kind) != 1)
			continue;
		if (!strcmp(kind, "dir") &&
		    sscanf(line, "%*s %1023s %o %u %u", name, &mode, &uid, &gid) == 4)
			r = header(out, name, S_IFDIR | (mode & 07777), uid, gid, 0, 0, 0);
		else if (!strcmp(kind, "nod") &&
			 sscanf(line, "%*s %1023s %o %u %u %3s %u %u", name, &mode, &uid, &gid, t,
				&maj, &min) == 7 &&
			 (!strcmp(t, "c") || !strcmp(t, "b")))
			r = header(out, name, (t[0] == 'c' ? S_IFCHR : S_IFBLK) | (mode & 07777),
				   uid, gid, 0, maj, min);
		else if (!strcmp(kind, "slink") && sscanf(line, "%*s %1023s %1023s %o %u %u", name,
							  a, &mode, &uid, &gid) == 5) {
			size_t tl = strlen(a);

			r = header(out, name, S_IFLNK | (mode & 07777), uid, gid, tl, 0, 0);
			if (!r && (fwrite(a, 1, tl, out) != tl || pad4(out, tl)))
				r = -1;
		} else if (!strcmp(kind, "file") && sscanf(line, "%*s %1023s %1023s %o %u %u", name,
							   a, &mode, &uid, &gid) == 5) {
			if (copy_file(out, name, a, mode & 07777, uid, gid, why, sizeof(why)))
				return fail("stdin", lineno, why);
			continue;
		} else
			return fail("stdin", lineno,
				    "expected 'dir NAME MODE UID GID', 'file NAME SOURCE MODE UID "
				    "GID', 'nod NAME MODE UID GID c|b MAJ MIN' or 'slink NAME "
				    "TARGET MODE UID GID'");
		if (r)
			return fail("stdin", lineno, "write error");
	}
	ino = 0;
	if (header(out, "TRAILER!!!", 0, 0, 0, 0, 0, 0) || fclose(out)) {
		fprintf(stderr, "mkcpio: %s: write error\n", argv[1]);
		return 2;
	}
	return 0;
}
