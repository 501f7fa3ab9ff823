/* SPDX-License-Identifier: MIT */
/*
 * The one JSON helper fpvm needs: a quoted, escaped string.
 */
#ifndef FPVM_BASE_JSON_H
#define FPVM_BASE_JSON_H

#include <stdio.h>

void json_str(FILE *f, const char *s);

#endif
