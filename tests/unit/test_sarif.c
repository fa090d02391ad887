/* SPDX-License-Identifier: MIT */
/* The rule table (cli/rules.c) and the SARIF log (cli/sarif.c). */
#include <stdlib.h>

#include "bbm.h"
#include "print.h"
#include "rules.h"
#include "sarif.h"
#include "unit.h"

static void rules_are_the_checkers(void)
{
	CHECK_EQ_U64(RULES_N, BBM_NRULES);
	for (int i = 0; i < RULES_N; i++) {
		CHECK_STR(rules[i].id, bbm_rules[i]);
		CHECK(rules_index(bbm_rules[i]) == i);
		CHECK(rules_find(bbm_rules[i]) == &rules[i]);
		/* "  ID  summary (warning)" fits 80 columns in -h */
		CHECK(2 + 24 + strlen(rules[i].summary) + (rules[i].warning ? 10 : 0) <= 80);
		CHECK(rules[i].fires[strlen(rules[i].fires) - 1] == '.');
	}
	CHECK(rules_find("missing-isb")->warning);
	CHECK(!rules_find("bbm-no-tlbi")->warning);
	CHECK(rules_find("no-such-rule") == NULL);
}

static void a_log(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sarif_loc at = {.addr = 0x4020003c, .file_off = 0x1003c, .has_off = true,
			       .func = "seed_local", .func_off = 8};
	struct sarif_loc rel = {.addr = 0x40200038, .func = "seed_local", .func_off = 4,
				.message = "dsb nshst"};

	print_init(f, true);
	sarif_begin("0.1", "build/a b.elf");
	sarif_result("bbm-local-tlbi", false, "a \"local\" TLBI", &at, &rel);
	sarif_result("missing-isb", true, "no isb", &at, NULL);
	sarif_end(true);
	print_finish();
	fclose(f);
	printf("%s", buf);
	CHECK(strchr(buf, '\n') == buf + len - 1);
	CHECK(strstr(buf, "{\"$schema\":\"https://docs.oasis-open.org/sarif/sarif/v2.1.0/") == buf);
	CHECK(strstr(buf, "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"fixmapctl\","
			  "\"version\":\"0.1\",\"semanticVersion\":\"0.1\",\"rules\":[{\"id\":\"bbm-valid-to-valid\","
			  "\"name\":\"BbmValidToValid\",\"shortDescription\":{\"text\":"));
	CHECK(strstr(buf, "{\"id\":\"missing-isb\",\"name\":\"MissingIsb\""));
	CHECK(strstr(buf, "\"defaultConfiguration\":{\"level\":\"warning\"}}]}}"));
	CHECK(strstr(buf, "\"artifacts\":[{\"location\":{\"uri\":\"build/a%20b.elf\"},\"roles\":[\"analysisTarget\"]}]"));
	CHECK(strstr(buf, "{\"ruleId\":\"bbm-local-tlbi\",\"ruleIndex\":2,\"level\":\"error\",\"message\":{\"text\":"
			  "\"a \\\"local\\\" TLBI\"},\"locations\":[{\"physicalLocation\":{\"artifactLocation\":"
			  "{\"uri\":\"build/a%20b.elf\",\"index\":0},\"region\":{\"byteOffset\":65596,\"byteLength\":4},"
			  "\"address\":{\"absoluteAddress\":1075839036,\"fullyQualifiedName\":\"seed_local+0x8\"}},"
			  "\"logicalLocations\":[{\"name\":\"seed_local\",\"fullyQualifiedName\":\"seed_local\","
			  "\"kind\":\"function\"}]}],\"relatedLocations\":[{\"id\":1,"));
	CHECK(strstr(buf, "\"message\":{\"text\":\"dsb nshst\"}}]}"));
	CHECK(strstr(buf, "{\"ruleId\":\"missing-isb\",\"ruleIndex\":11,\"level\":\"warning\""));
	CHECK(strstr(buf, "\"invocations\":[{\"executionSuccessful\":true}]}]}\n"));
	free(buf);
	/* an absolute path is a file URI */
	buf = NULL;
	f = open_memstream(&buf, &len);
	print_init(f, true);
	sarif_begin("0.1", "/tmp/x.elf");
	sarif_end(false);
	print_finish();
	fclose(f);
	CHECK(strstr(buf, "\"uri\":\"file:///tmp/x.elf\""));
	CHECK(strstr(buf, "\"executionSuccessful\":false"));
	free(buf);
	print_init(stdout, false);
}

int main(void)
{
	RUN(rules_are_the_checkers);
	RUN(a_log);
	return UNIT_EXIT();
}
