/*
 * hash.c -- the exported spatial_hash (MurmurHash3_x86_32 of LE32(i) ||
 * LE32(j), seed 0); the algorithm is in pq_hash.h.
 */
#include "pq_hash.h"
#include "pq_internal.h"

uint32_t pq_spatial_hash(uint32_t i, uint32_t j) { return pq_hash(i, j); }
