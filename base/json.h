/* SPDX-License-Identifier: MIT */
/*
 * The one JSON helper fpvm needs: a quoted, escaped string, always valid
 * UTF-8 whatever bytes it is given (ill-formed sequences become U+FFFD).
 */
#ifndef FPVM_BASE_JSON_H
#define FPVM_BASE_JSON_H

#include <stdio.h>

void json_str(FILE *f, const char *s);

#endif
