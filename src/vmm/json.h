/*
 * json.h - a small streaming JSON writer for --stats-json: nested objects
 * of numbers, strings and booleans, one member per line, indented. Keys
 * are written as given (callers use plain identifiers); string values are
 * escaped.
 */
#ifndef SOFTVT_VMM_JSON_H
#define SOFTVT_VMM_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	bool first[JSON_MAX_DEPTH];   /* no member written yet at this depth */
};

/* Starts the top-level object. */
void json_begin(struct json *j, FILE *f);
/* Ends the top-level object (and the line). */
void json_end(struct json *j);

/* "key": { ... } */
void json_object(struct json *j, const char *key);
void json_close(struct json *j);

void json_u64(struct json *j, const char *key, uint64_t v);
void json_double(struct json *j, const char *key, double v);   /* non-finite: null */
void json_string(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);

#endif
