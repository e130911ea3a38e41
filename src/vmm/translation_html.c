/*
 * translation_html.c - `softvt translation-html DUMP [OUT.html]`: turns the
 * text of `softvt run --show-translation ...` (bt/show.c) into one web
 * page for browsing a run's blocks: an index of the blocks with, for each,
 * how many of its guest instructions were identical (=), re-encoded (~),
 * rewritten (R) or left to the interpreter (X), then every block with its
 * rows coloured by that mark. Lines of the dump that are not the viewer's
 * (the guest's console, softvt's own messages) are skipped.
 *
 * The mark sits in a fixed column of the viewer's rows (MARK_COL); the page
 * is self-contained (inline CSS, no script).
 */
#include "vmm/translation_html.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MARK_COL 47   /* bt/show.c: 2 + GUEST_COL + 10 + 1 */

struct block_sum {
	char title[160];
	unsigned n[4];   /* = ~ R X */
};

static int mark_index(char m)
{
	switch (m) {
	case '=': return 0;
	case '~': return 1;
	case 'R': return 2;
	case 'X': return 3;
	default: return -1;
	}
}

static void escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		default: fputc(*s, out); break;
		}
	}
}

/* A row of a block: a guest row (mark in MARK_COL) or a continuation of host code. */
static bool is_row(const char *line)
{
	return line[0] == ' ' && line[1] == ' ' && strlen(line) > 2;
}

static int mark_of(const char *line)
{
	size_t len = strlen(line);
	return len > MARK_COL && line[MARK_COL + 1] == ' ' ? mark_index(line[MARK_COL]) : -1;
}

int translation_html_main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: softvt translation-html DUMP [OUT.html]\n\n"
			"Turns the output of `softvt run --accel bt --show-translation all ...` (saved\n"
			"from stderr) into one web page of the run's translated blocks. Without\n"
			"OUT.html the page goes to stdout.\n");
		return argc < 2 ? 1 : 0;
	}
	FILE *in = fopen(argv[1], "r");
	if (!in) {
		fprintf(stderr, "softvt translation-html: cannot read %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* pass 1: the index */
	size_t nb = 0, cap = 0;
	struct block_sum *b = NULL;
	char line[1024];
	unsigned total[4] = { 0 };
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "block ", 6)) {
			if (nb == cap) {
				cap = cap ? cap * 2 : 256;
				struct block_sum *nbp = realloc(b, cap * sizeof(*b));
				if (!nbp) {
					fprintf(stderr, "softvt translation-html: out of memory\n");
					free(b);
					fclose(in);
					return 1;
				}
				b = nbp;
			}
			memset(&b[nb], 0, sizeof(b[nb]));
			snprintf(b[nb].title, sizeof(b[nb].title), "%.159s", line + 6);
			nb++;
		} else if (nb && is_row(line)) {
			int m = mark_of(line);
			if (m >= 0) {
				b[nb - 1].n[m]++;
				total[m]++;
			}
		}
	}
	if (!nb) {
		fprintf(stderr, "softvt translation-html: no blocks in %s (was it made with "
				"--show-translation?)\n", argv[1]);
		free(b);
		fclose(in);
		return 1;
	}
	FILE *out = argc == 3 ? fopen(argv[2], "w") : stdout;
	if (!out) {
		fprintf(stderr, "softvt translation-html: cannot write %s: %s\n", argv[2], strerror(errno));
		free(b);
		fclose(in);
		return 1;
	}
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	      "<title>softvt translated blocks</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 1em 2em; }\n"
	      "pre { font-family: monospace; font-size: 12px; background: #fafafa; padding: 6px; }\n"
	      ".m0 { color: #1a7f37; } .m1 { color: #0550ae; } .m2 { color: #953800; font-weight: bold; }\n"
	      ".m3 { color: #cf222e; font-weight: bold; } .host { color: #555; }\n"
	      "table { border-collapse: collapse; font-size: 13px; }\n"
	      "td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }\n"
	      "td.t { text-align: left; font-family: monospace; }\n"
	      "</style></head><body>\n<h1>softvt: translated blocks</h1>\n", out);
	fprintf(out, "<p id=\"summary\">%zu blocks; guest instructions: <span class=\"m0\">%u identical "
		     "(=)</span>, <span class=\"m1\">%u re-encoded (~)</span>, <span class=\"m2\">%u "
		     "rewritten (R)</span>, <span class=\"m3\">%u left to the interpreter (X)</span>.</p>\n",
		nb, total[0], total[1], total[2], total[3]);
	fputs("<table><tr><th>block</th><th>=</th><th>~</th><th>R</th><th>X</th></tr>\n", out);
	for (size_t i = 0; i < nb; i++) {
		fprintf(out, "<tr><td class=\"t\"><a href=\"#b%zu\">", i);
		escape(out, b[i].title);
		fprintf(out, "</a></td><td>%u</td><td>%u</td><td>%u</td><td>%u</td></tr>\n", b[i].n[0],
			b[i].n[1], b[i].n[2], b[i].n[3]);
	}
	fputs("</table>\n", out);
	/* pass 2: the blocks */
	rewind(in);
	size_t cur = 0;
	bool open = false;
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "block ", 6)) {
			if (open)
				fputs("</pre>\n", out);
			fprintf(out, "<h2 id=\"b%zu\">block ", cur++);
			escape(out, line + 6);
			fputs("</h2>\n<pre>", out);
			open = true;
		} else if (open && is_row(line)) {
			int m = mark_of(line);
			fprintf(out, "<span class=\"%s\">", m >= 0 ? (const char *[]){ "m0", "m1", "m2",
									 "m3" }[m] : "host");
			escape(out, line);
			fputs("</span>\n", out);
		} else if (open && !*line) {
			fputs("</pre>\n", out);
			open = false;
		}
	}
	if (open)
		fputs("</pre>\n", out);
	fputs("</body></html>\n", out);
	free(b);
	fclose(in);
	if (out != stdout && fclose(out) != 0) {
		fprintf(stderr, "softvt translation-html: writing %s failed: %s\n", argv[2], strerror(errno));
		return 1;
	}
	return 0;
}
