/* The one entry point every fuzz target defines: libFuzzer calls it, and so does replay.c, which
 * runs the saved corpus under make test. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
