// Batch-norm passes over narrow rows, walked as one flat array (internal; pointwise_flat_simd.inc
// and batchnorm_flat.c).
//
// Why: a row of c channels that is not a whole number of 16-lane vectors (the 5-, 8- and
// 10-channel layers pruning leaves) filled one masked vector per pixel: at 8 channels, half of
// every load and FMA was idle, and each per-channel float sum grew by one add per pixel, a
// dependency chain of one add latency per pixel. The 8-channel layers' backward reduction ran
// 3.8x slower than the 16-channel layers' on the same bytes. Walked flat, pixels * c floats are
// whole vectors, and the channel of float i is i mod c: the per-channel constants repeat every
// lcm(c, 16) floats, so they are tiled once into a period of that many floats.
//
// The reductions then keep one float partial per slot of the period (i mod period), each summed
// in increasing i, and fold a channel's slots in a halving tree at the end of every 64-pixel
// block (dnal_pw_flat_fold). That order is defined by the period alone, not by the vector width,
// so the portable loops, AVX2 and AVX-512 give the same bits. A period holds 4 to 7 vectors of 16: at
// least 4 independent chains, and few enough accumulators to stay in registers.
#ifndef DNAL_POINTWISE_FLAT_H
#define DNAL_POINTWISE_FLAT_H

/// Largest period, in floats: lcm(c, 16) for c with 7 odd factors (7, 14, 28, 56).
#define DNAL_PW_FLAT_MAX 112

/// Floats per period of the flat walk of rows of c channels, or 0 where rows stay per pixel:
/// whole vectors (c a multiple of 16), rows wider than 64, or an lcm(c, 16) over 7 vectors
/// (c with an odd factor of 9 or more, such as 9, 13 or 19).
static inline int dnal_pw_flat_period(int c)
{
    if (c <= 0 || c % 16 == 0 || c > 64) return 0;
    const int twos = c & -c;                      // the largest power of 2 dividing c
    const int odd = c / (twos < 16 ? twos : 16);  // lcm(c, 16) / 16
    if (odd > 7) return 0;
    return 16 * (odd == 1 ? 4 : odd == 3 ? 6 : odd);  // 1 and 3 vectors doubled up: chains enough
}

/// out[ch] = the partials of channel ch's slots (ch, ch + c, ...) summed as a halving tree: the
/// period's upper half added onto its lower half, slot by slot, until c slots are left. A
/// period holds a power of 2 rows (16 or 32 floats per odd factor of c, over c's power of 2 up
/// to 8), so every halving pairs slots of one channel. The adds of a halving are independent:
/// summed slot by slot in order, a channel's 16 slots (5 channels) were one chain of dependent
/// scalar adds, and the folds took about half of the reduction passes' time at 5 channels.
static inline void dnal_pw_flat_fold(const float *partial, int period, int c, float *out)
{
    float f[DNAL_PW_FLAT_MAX];
    for (int i = 0; i < period; i++) f[i] = partial[i];
    int len = period;
    for (; len > c && (len / c) % 2 == 0; len /= 2) {
        const int half = len / 2;
        for (int i = 0; i < half; i++) f[i] += f[i + half];
    }
    // len is c now (a period's rows are a power of 2), so this only copies out; its inner loop
    // would finish any other length in slot order
    for (int ch = 0; ch < c; ch++) {
        float s = f[ch];
        for (int k = ch + c; k < len; k += c) s += f[k];
        out[ch] = s;
    }
}

/// The per-channel constants k tiled over one period (a whole number of rows; no division per
/// float: the moments tile each 64-pixel block's mean, and a modulo per float cost more than
/// the block's sweeps at 24 channels).
static inline void dnal_pw_flat_tile(const float *k, int c, int period, float *tiled)
{
    for (int i = 0; i < period; i += c) {
        for (int ch = 0; ch < c; ch++) tiled[i + ch] = k[ch];
    }
}

#endif
