/*
 * stats_bt.h - engine bt's statistics for --stats (text) and --stats-json.
 */
#ifndef SOFTVT_VMM_STATS_BT_H
#define SOFTVT_VMM_STATS_BT_H

#include <stdio.h>

#include "bt/bt.h"
#include "vmm/json.h"

/* Share of the translated guest instructions that are IDENT (0..1; 0 if none). */
double bt_stats_ident_share(const struct bt_stats *s);

/* A few aligned "softvt: stats: bt ..." lines; seconds: the run time. */
void bt_stats_print(const struct bt_stats *s, double seconds, FILE *f);

/* The members of the "bt" object of the --stats-json output. */
void bt_stats_json(const struct bt_stats *s, double seconds, struct json *j);

#endif
