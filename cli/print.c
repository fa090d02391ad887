/* SPDX-License-Identifier: MIT */
#include "print.h"

#include <inttypes.h>
#include <stdarg.h>

#define MAX_DEPTH 32

static struct {
	FILE *out;
	bool json;
	int depth;
	bool first[MAX_DEPTH]; /* no member printed yet at this depth */
	FILE *saved;	       /* print_capture(): the output to restore */
} pr = {.json = false};

void print_init(FILE *out, bool json)
{
	pr.out = out;
	pr.saved = NULL;
	pr.json = json;
	pr.depth = 0;
	pr.first[0] = true;
}

bool print_is_json(void)
{
	return pr.json;
}

FILE *print_file(void)
{
	return pr.out ? pr.out : stdout;
}

int print_capture(FILE *f)
{
	if (f) {
		if (pr.json || pr.saved)
			return -1;
		pr.saved = print_file();
		pr.out = f;
		return 0;
	}
	if (!pr.saved)
		return -1;
	pr.out = pr.saved;
	pr.saved = NULL;
	return 0;
}

void print_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Separator and key for the next JSON member. */
static void json_member(const char *key)
{
	FILE *f = print_file();

	if (pr.depth > 0) {
		if (!pr.first[pr.depth])
			fputc(',', f);
		pr.first[pr.depth] = false;
	}
	if (key) {
		print_json_string(f, key);
		fputc(':', f);
	}
}

static void text(const char *fmt, ...)
{
	va_list ap;

	if (!fmt)
		return;
	va_start(ap, fmt);
	vfprintf(print_file(), fmt, ap);
	va_end(ap);
}

void print_obj_begin(const char *key)
{
	if (!pr.json)
		return;
	json_member(key);
	fputc('{', print_file());
	if (pr.depth < MAX_DEPTH - 1)
		pr.depth++;
	pr.first[pr.depth] = true;
}

void print_obj_end(void)
{
	if (!pr.json) {
		fputc('\n', print_file());
		return;
	}
	fputc('}', print_file());
	if (pr.depth > 0)
		pr.depth--;
	if (pr.depth == 0)
		fputc('\n', print_file());
}

void print_arr_begin(const char *key)
{
	if (!pr.json)
		return;
	json_member(key);
	fputc('[', print_file());
	if (pr.depth < MAX_DEPTH - 1)
		pr.depth++;
	pr.first[pr.depth] = true;
}

void print_arr_end(void)
{
	if (!pr.json)
		return;
	fputc(']', print_file());
	if (pr.depth > 0)
		pr.depth--;
	if (pr.depth == 0)
		fputc('\n', print_file());
}

void print_str(const char *key, const char *textfmt, const char *val)
{
	if (pr.json) {
		json_member(key);
		print_json_string(print_file(), val ? val : "");
	} else {
		text(textfmt, val ? val : "");
	}
}

void print_uint(const char *key, const char *textfmt, uint64_t val)
{
	if (pr.json) {
		json_member(key);
		fprintf(print_file(), "%" PRIu64, val);
	} else {
		text(textfmt, val);
	}
}

void print_int(const char *key, const char *textfmt, int64_t val)
{
	if (pr.json) {
		json_member(key);
		fprintf(print_file(), "%" PRId64, val);
	} else {
		text(textfmt, val);
	}
}

void print_hex(const char *key, const char *textfmt, uint64_t val)
{
	if (pr.json) {
		json_member(key);
		fprintf(print_file(), "\"0x%" PRIx64 "\"", val);
	} else {
		text(textfmt, val);
	}
}

void print_bool(const char *key, const char *textfmt, bool val)
{
	if (pr.json) {
		json_member(key);
		fputs(val ? "true" : "false", print_file());
	} else {
		text(textfmt, val ? "true" : "false");
	}
}

void print_double(const char *key, const char *textfmt, double val)
{
	if (pr.json) {
		json_member(key);
		fprintf(print_file(), "%.6g", val);
	} else {
		text(textfmt, val);
	}
}

void print_null(const char *key, const char *textstr)
{
	if (pr.json) {
		json_member(key);
		fputs("null", print_file());
	} else if (textstr) {
		fputs(textstr, print_file());
	}
}

void print_text(const char *fmt, ...)
{
	va_list ap;

	if (pr.json)
		return;
	va_start(ap, fmt);
	vfprintf(print_file(), fmt, ap);
	va_end(ap);
}

int print_finish(void)
{
	FILE *f = print_file();

	if (fflush(f) != 0 || ferror(f))
		return -1;
	return 0;
}
