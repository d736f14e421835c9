/*
 * testutil: small helpers shared by the Check suites — files, hex, vectors,
 * and a libuv loop teardown that asserts nothing was left open.
 */
#ifndef NOVA_TESTS_TESTUTIL_H
#define NOVA_TESTS_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Read a whole file; returns malloc'd bytes (NUL-terminated) or NULL. */
char *tu_read_file(const char *path, size_t *len);
/* Path under tests/vectors (env NOVA_VECTORS), in a static buffer. */
const char *tu_vector_path(const char *rel);
/* Path under the source tree (env NOVA_SRCDIR), in a static buffer. */
const char *tu_src_path(const char *rel);
/* Decode hex (spaces ignored) into a malloc'd buffer; -1 on bad input. */
long tu_hex_decode(const char *hex, uint8_t **out);
/* Lower-case hex of `len` bytes into a malloc'd string. */
char *tu_hex_encode(const uint8_t *p, size_t len);
/* Run a Check suite; returns the process exit status. */
struct Suite;
int tu_run_suite(struct Suite *s);

#endif
