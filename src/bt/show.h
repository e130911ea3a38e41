/*
 * show.h - the translation viewer: a translated block beside its guest code
 * (bt/show.c; `softvt run --show-translation`, docs/BT.md).
 */
#ifndef SOFTVT_BT_SHOW_H
#define SOFTVT_BT_SHOW_H

#include <stdint.h>
#include <stdio.h>

#include "bt/translate.h"

/* Prints tb, translated from the guest bytes at code (avail readable, unchanged). */
void bt_show_block(FILE *f, const struct tb *tb, const uint8_t *code, uint32_t avail);

#endif
