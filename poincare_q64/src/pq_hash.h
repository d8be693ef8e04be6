/*
 * pq_hash.h -- spatial_hash: MurmurHash3_x86_32 (Austin Appleby, public domain
 * algorithm) of the 8-byte key LE32(i) || LE32(j) with seed 0.
 *
 * The key's two 4-byte blocks are read little-endian by the algorithm, so
 * they are exactly i and j as integers: the result does not depend on the
 * host's byte order.  No tail bytes (8 is a multiple of 4).
 */
#ifndef PQ_HASH_H
#define PQ_HASH_H

#include <stdint.h>

#include "pq_w.h" /* PQ_INLINE */

PQ_INLINE uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

PQ_INLINE uint32_t mix_block(uint32_t h, uint32_t k) {
    k *= 0xcc9e2d51u;
    k = rotl32(k, 15);
    k *= 0x1b873593u;
    h ^= k;
    h = rotl32(h, 13);
    return h * 5u + 0xe6546b64u;
}

/* Inline so that the array loops pay no call; pq_spatial_hash is the
 * exported copy (hash.c). */
PQ_INLINE uint32_t pq_hash(uint32_t i, uint32_t j) {
    uint32_t h = mix_block(mix_block(0u, i), j);
    h ^= 8u; /* key length in bytes */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

#endif /* PQ_HASH_H */
