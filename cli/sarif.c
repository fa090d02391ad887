/* SPDX-License-Identifier: MIT */
#include "sarif.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "print.h"
#include "rules.h"

#define SARIF_SCHEMA "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

static unsigned nrelated;
static const char *artifact_path;

/* A path as a URI reference: relative paths stay relative (percent-encoded), absolute ones get file://. */
static void uri(const char *key, const char *path)
{
	char buf[4096];
	size_t o = 0;

	if (path[0] == '/')
		o = (size_t)snprintf(buf, sizeof(buf), "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < sizeof(buf); p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/-._~", *p))
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%%%02X", *p);
	}
	buf[o] = '\0';
	print_str(key, NULL, buf);
}

static void text(const char *key, const char *s)
{
	print_obj_begin(key);
	print_str("text", NULL, s);
	print_obj_end();
}

void sarif_begin(const char *version, const char *artifact)
{
	nrelated = 0;
	artifact_path = artifact;
	print_obj_begin(NULL);
	print_str("$schema", NULL, SARIF_SCHEMA);
	print_str("version", NULL, "2.1.0");
	print_arr_begin("runs");
	print_obj_begin(NULL);
	print_obj_begin("tool");
	print_obj_begin("driver");
	print_str("name", NULL, "fixmapctl");
	print_str("version", NULL, version);
	print_str("semanticVersion", NULL, version);
	print_arr_begin("rules");
	for (int i = 0; i < RULES_N; i++) {
		char help[1024];

		snprintf(help, sizeof(help),
			 "%s See fixmap-trace(5), RULES, and fixmapctl(1), lint.", rules[i].fires);
		print_obj_begin(NULL);
		print_str("id", NULL, rules[i].id);
		print_str("name", NULL, rules[i].name);
		text("shortDescription", rules[i].summary);
		text("fullDescription", rules[i].fires);
		text("help", help);
		print_obj_begin("defaultConfiguration");
		print_str("level", NULL, rules[i].warning ? "warning" : "error");
		print_obj_end();
		print_obj_end();
	}
	print_arr_end();
	print_obj_end(); /* driver */
	print_obj_end(); /* tool */
	print_arr_begin("artifacts");
	print_obj_begin(NULL);
	print_obj_begin("location");
	uri("uri", artifact);
	print_obj_end();
	print_arr_begin("roles");
	print_str(NULL, NULL, "analysisTarget");
	print_arr_end();
	print_obj_end();
	print_arr_end();
	print_arr_begin("results");
}

static void location(const struct sarif_loc *l, int id)
{
	char fq[512];

	print_obj_begin(NULL);
	if (id >= 0)
		print_int("id", NULL, id);
	print_obj_begin("physicalLocation");
	print_obj_begin("artifactLocation");
	uri("uri", artifact_path);
	print_int("index", NULL, 0);
	print_obj_end();
	if (l->has_off) {
		print_obj_begin("region");
		print_uint("byteOffset", NULL, l->file_off);
		print_uint("byteLength", NULL, 4);
		print_obj_end();
	}
	print_obj_begin("address");
	print_uint("absoluteAddress", NULL, l->addr);
	if (l->func) {
		snprintf(fq, sizeof(fq), "%s+0x%" PRIx64, l->func, l->func_off);
		print_str("fullyQualifiedName", NULL, fq);
	}
	print_obj_end();
	print_obj_end(); /* physicalLocation */
	if (l->func) {
		print_arr_begin("logicalLocations");
		print_obj_begin(NULL);
		print_str("name", NULL, l->func);
		print_str("fullyQualifiedName", NULL, l->func);
		print_str("kind", NULL, "function");
		print_obj_end();
		print_arr_end();
	}
	if (l->message)
		text("message", l->message);
	print_obj_end();
}

void sarif_result(const char *rule, bool warning, const char *message, const struct sarif_loc *at,
		  const struct sarif_loc *related)
{
	int i = rules_index(rule);

	print_obj_begin(NULL);
	print_str("ruleId", NULL, rule);
	if (i >= 0)
		print_int("ruleIndex", NULL, i);
	print_str("level", NULL, warning ? "warning" : "error");
	text("message", message);
	print_arr_begin("locations");
	location(at, -1);
	print_arr_end();
	if (related) {
		print_arr_begin("relatedLocations");
		location(related, (int)++nrelated);
		print_arr_end();
	}
	print_obj_end();
}

void sarif_end(bool ok)
{
	print_arr_end(); /* results */
	print_str("columnKind", NULL, "utf16CodeUnits");
	print_arr_begin("invocations");
	print_obj_begin(NULL);
	print_bool("executionSuccessful", NULL, ok);
	print_obj_end();
	print_arr_end();
	print_obj_end(); /* run */
	print_arr_end(); /* runs */
	print_obj_end(); /* log */
}
