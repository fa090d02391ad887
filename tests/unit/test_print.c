/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "print.h"
#include "unit.h"

static char *render(int json, void (*fn)(void))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	print_init(f, json);
	fn();
	print_finish();
	fclose(f);
	return buf;
}

static void finding(void)
{
	print_obj_begin(NULL);
	print_str("rule", "%s ", "bbm-local-tlbi");
	print_uint("cpu", "cpu%" PRIu64 " ", 1);
	print_hex("va", "va=%#" PRIx64, 0x80001000);
	print_text(" (text only)");
	print_arr_begin("steps");
	print_str(NULL, NULL, "dsb \"nsh\"\n");
	print_uint(NULL, NULL, 7);
	print_arr_end();
	print_obj_end();
}

static void text_and_json_from_one_call(void)
{
	char *t = render(0, finding), *j = render(1, finding);

	CHECK_STR(t, "bbm-local-tlbi cpu1 va=0x80001000 (text only)\n");
	CHECK_STR(j, "{\"rule\":\"bbm-local-tlbi\",\"cpu\":1,\"va\":\"0x80001000\","
		     "\"steps\":[\"dsb \\\"nsh\\\"\\n\",7]}\n");
	free(t);
	free(j);
}

static void ctrl(void)
{
	print_obj_begin(NULL);
	print_str("s", NULL, "\x01\x7f");
	print_obj_end();
}

static void json_escapes_control_characters(void)
{
	char *j = render(1, ctrl);

	CHECK_STR(j, "{\"s\":\"\\u0001\\u007f\"}\n");
	free(j);
}

static char *captured;

static void capture(void)
{
	size_t len = 0;
	FILE *m = open_memstream(&captured, &len);

	print_text("before ");
	if (print_capture(m) == 0) {
		print_str("rule", "%s: ", "stale-tlb");
		print_text("captured");
		print_capture(NULL);
	}
	fclose(m);
	print_text("after\n");
}

/* Text printed between print_capture(FILE) and print_capture(NULL) goes to FILE only. */
static void capture_text(void)
{
	char *t = render(0, capture);

	CHECK_STR(t, "before after\n");
	CHECK_STR(captured, "stale-tlb: captured");
	free(t);
	free(captured);
	CHECK(print_capture(NULL) == -1); /* none on */
	t = render(1, capture);		  /* JSON: no capture, all goes out */
	CHECK_STR(captured, "");
	free(captured);
	free(t);
}

int main(void)
{
	RUN(capture_text);
	RUN(text_and_json_from_one_call);
	RUN(json_escapes_control_characters);
	return UNIT_EXIT();
}
