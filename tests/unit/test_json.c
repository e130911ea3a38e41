/*
 * test_json.c - the --stats-json writer (vmm/json.c): layout, nesting,
 * empty objects, number formats and string escaping, checked against the
 * exact text.
 */
#define _GNU_SOURCE
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/json.h"

static char *buf;
static size_t len;

static FILE *open_buf(void)
{
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	return f;
}

START_TEST(nested_members)
{
	FILE *f = open_buf();
	struct json j;
	json_begin(&j, f);
	json_u64(&j, "a", 18446744073709551615ull);
	json_object(&j, "o");
	json_double(&j, "d", 0.5);
	json_bool(&j, "t", true);
	json_object(&j, "empty");
	json_close(&j);
	json_close(&j);
	json_double(&j, "inf", INFINITY);
	json_end(&j);
	fclose(f);
	ck_assert_str_eq(buf, "{\n"
			      "  \"a\": 18446744073709551615,\n"
			      "  \"o\": {\n"
			      "    \"d\": 0.5,\n"
			      "    \"t\": true,\n"
			      "    \"empty\": {}\n"
			      "  },\n"
			      "  \"inf\": null\n"
			      "}\n");
	free(buf);
}
END_TEST

START_TEST(strings_are_escaped)
{
	FILE *f = open_buf();
	struct json j;
	json_begin(&j, f);
	json_string(&j, "s", "a\"b\\c\nd\x01");
	json_end(&j);
	fclose(f);
	ck_assert_str_eq(buf, "{\n  \"s\": \"a\\\"b\\\\c\\u000ad\\u0001\"\n}\n");
	free(buf);
}
END_TEST

START_TEST(empty_top_level)
{
	FILE *f = open_buf();
	struct json j;
	json_begin(&j, f);
	json_end(&j);
	fclose(f);
	ck_assert_str_eq(buf, "{\n}\n");
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("writer");
	tcase_add_test(tc, nested_members);
	tcase_add_test(tc, strings_are_escaped);
	tcase_add_test(tc, empty_top_level);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
