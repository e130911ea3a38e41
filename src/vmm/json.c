/*
 * json.c - the --stats-json writer (see json.h).
 */
#include "vmm/json.h"

#include <inttypes.h>
#include <math.h>

static void indent(struct json *j)
{
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* The separator before a member, its indentation and its key. */
static void key(struct json *j, const char *k)
{
	fputs(j->first[j->depth] ? "\n" : ",\n", j->f);
	j->first[j->depth] = false;
	indent(j);
	fprintf(j->f, "\"%s\": ", k);
}

void json_begin(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 1;
	j->first[1] = true;
	fputc('{', f);
}

void json_end(struct json *j)
{
	fputs("\n}\n", j->f);
	j->depth = 0;
}

void json_object(struct json *j, const char *k)
{
	key(j, k);
	fputc('{', j->f);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

void json_close(struct json *j)
{
	bool empty = j->first[j->depth];
	if (j->depth > 1)
		j->depth--;
	if (!empty) {
		fputc('\n', j->f);
		indent(j);
	}
	fputc('}', j->f);
}

void json_u64(struct json *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, v);
}

void json_double(struct json *j, const char *k, double v)
{
	key(j, k);
	if (isfinite(v))
		fprintf(j->f, "%.6g", v);
	else
		fputs("null", j->f);
}

void json_string(struct json *j, const char *k, const char *v)
{
	key(j, k);
	fputc('"', j->f);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(j->f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(j->f, "\\u%04x", *p);
		else
			fputc(*p, j->f);
	}
	fputc('"', j->f);
}

void json_bool(struct json *j, const char *k, bool v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}
