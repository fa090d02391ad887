/* SPDX-License-Identifier: MIT */
/*
 * One printer for text and JSON (after iproute2's json_print): each call names
 * the JSON key and the text format of one value, so the two outputs cannot
 * drift. In JSON mode every top-level object is one line (JSON Lines).
 *
 *   print_obj_begin(NULL);
 *   print_uint("cpu", "cpu%-3" PRIu64 " ", cpu);
 *   print_hex("va", "%#018" PRIx64 " ", va);   // JSON: "va": "0xffff..."
 *   print_str("rule", "%s", rule);
 *   print_obj_end();                           // text: newline
 *
 * A NULL text format prints nothing in text mode; print_text() prints only in
 * text mode, print_json_only values only in JSON.
 */
#ifndef FIXMAP_PRINT_H
#define FIXMAP_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

void print_init(FILE *out, bool json);
bool print_is_json(void);
FILE *print_file(void);
/*
 * Text mode: what is printed goes to f until print_capture(NULL) restores the
 * output (to post-process a line, e.g. wrap it). Not nested; -1 in JSON mode
 * or when a capture is already on.
 */
int print_capture(FILE *f);

void print_obj_begin(const char *key); /* key: inside an object; NULL at top level or in arrays */
void print_obj_end(void);
void print_arr_begin(const char *key);
void print_arr_end(void);

void print_str(const char *key, const char *textfmt, const char *val);
void print_uint(const char *key, const char *textfmt, uint64_t val);
void print_int(const char *key, const char *textfmt, int64_t val);
void print_hex(const char *key, const char *textfmt, uint64_t val); /* JSON: "0x..." string */
void print_bool(const char *key, const char *textfmt, bool val);
void print_double(const char *key, const char *textfmt, double val);
void print_null(const char *key, const char *text);
void print_text(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Flushes; returns -1 if the output stream had an error (e.g. a closed pipe). */
int print_finish(void);

/* JSON string escaping into f, quotes included. */
void print_json_string(FILE *f, const char *s);

#endif
