#ifndef RECOMBINE_CCOMPRESSION_SHIM_H
#define RECOMBINE_CCOMPRESSION_SHIM_H
#include <zlib.h>
#include <lzma.h>
#include <lz4.h>
#include <zstd.h>
#include <xxhash.h>
#endif
