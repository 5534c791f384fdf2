/*
 * sha256 MIB ROUNDS — CPU-bound work: SHA-256 over a buffer in memory.
 *
 * Fills MIB MiB with a fixed pattern (untimed, and the pages are faulted in
 * before timing), checks the implementation against the FIPS 180-2 "abc"
 * vector, then hashes the buffer ROUNDS times (each round chained onto the
 * previous digest so nothing can be skipped) and prints ns_per_byte= and the
 * final digest=, which must be the same in every environment. No system
 * calls in the timed part: a sandbox should cost nothing here.
 *
 * Built statically: cc -O2 -static -o sha256 sha256.c
 */
#include "common.h"
#include <stdint.h>

static const char *P = "sha256";

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void compress(uint32_t h[8], const unsigned char *blk) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 | (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t t1 = k + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

/* One-shot SHA-256 of msg[0..len) into out[32]. */
static void sha256(const unsigned char *msg, size_t len, unsigned char out[32]) {
  uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  size_t full = len / 64;
  for (size_t i = 0; i < full; i++) compress(h, msg + 64 * i);
  unsigned char tailb[128] = {0};
  size_t rem = len - 64 * full;
  memcpy(tailb, msg + 64 * full, rem);
  tailb[rem] = 0x80;
  size_t tlen = rem < 56 ? 64 : 128;
  uint64_t bits = (uint64_t)len * 8;
  for (int i = 0; i < 8; i++) tailb[tlen - 1 - i] = (unsigned char)(bits >> (8 * i));
  for (size_t off = 0; off < tlen; off += 64) compress(h, tailb + off);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (unsigned char)(h[i] >> 24); out[4 * i + 1] = (unsigned char)(h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(h[i] >> 8); out[4 * i + 3] = (unsigned char)h[i];
  }
}

static void hex(const unsigned char d[32], char out[65]) {
  for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: %s MIB ROUNDS\n", argv[0]); return 2; }
  size_t bytes = (size_t)pos_arg(P, argv[1], "MIB ROUNDS") << 20;
  long rounds = pos_arg(P, argv[2], "MIB ROUNDS");

  unsigned char d[32];
  char hx[65];
  sha256((const unsigned char *)"abc", 3, d);
  hex(d, hx);
  if (strcmp(hx, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") != 0) {
    fprintf(stderr, "%s: self-test failed: sha256(abc)=%s\n", P, hx);
    return 1;
  }

  unsigned char *buf = malloc(bytes);
  if (!buf) die(P, "malloc %zu", bytes);
  for (size_t i = 0; i < bytes; i++) buf[i] = (unsigned char)(i * 2654435761u >> 13);
  memset(d, 0, sizeof d);
  double t0 = now_ns();
  for (long r = 0; r < rounds; r++) {
    memcpy(buf, d, sizeof d);
    sha256(buf, bytes, d);
  }
  double t1 = now_ns();
  hex(d, hx);
  printf("ns_per_byte=%.4f\n", (t1 - t0) / ((double)rounds * (double)bytes));
  printf("digest=%s\n", hx);
  return 0;
}
