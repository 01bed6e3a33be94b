// Direct against Winograd on one 3x3 stride-1 convolution layer, one thread, the two alternated
// call by call so that the machine's drift hits both alike (BENCHMARKS.md, "Winograd"). Each call
// runs the batch image by image, as a residual pair does; the figure is the fastest of the calls.
// Build against the release kernels, then run with batch, map size, input and output channels:
//
//   swift build -c release
//   cc -O2 -I Sources/CDNALKernels/include scripts/conv-ab.c .build/release/CDNALKernels.build/*.o -lpthread -lm -o /tmp/conv-ab
//   /tmp/conv-ab 64 16 32 32 [calls]
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "dnal_kernels.h"

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static float uniform(void) { return (float)rand() / (float)RAND_MAX - 0.5f; }

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s BATCH SIZE CIN COUT [CALLS]\n", argv[0]);
        return 2;
    }
    const int n = atoi(argv[1]), h = atoi(argv[2]), ci = atoi(argv[3]), co = atoi(argv[4]);
    const int calls = argc > 5 ? atoi(argv[5]) : 20;
    const int ldw = (co + DNAL_CHANNEL_BLOCK - 1) / DNAL_CHANNEL_BLOCK * DNAL_CHANNEL_BLOCK;
    dnal_conv d = {.n = 1, .hin = h, .win = h, .cin = ci, .ldx = ci, .hout = h, .wout = h, .cout = co, .ldy = co,
                   .kh = 3, .kw = 3, .stride = 1, .pad_top = 1, .pad_left = 1, .dilate = 1, .ldw = ldw, .act = 1};
    const size_t image_in = (size_t)h * h * ci, image_out = (size_t)h * h * co;
    float *x = malloc(sizeof(float) * n * image_in), *y = malloc(sizeof(float) * n * image_out);
    float *w = calloc((size_t)9 * ci * ldw, sizeof(float)), *bias = malloc(sizeof(float) * co);
    for (size_t i = 0; i < n * image_in; i++) x[i] = uniform();
    for (int t = 0; t < 9 * ci; t++) {
        for (int o = 0; o < co; o++) w[(size_t)t * ldw + o] = 0.1f * uniform();
    }
    for (int o = 0; o < co; o++) bias[o] = 0.01f;
    const int tile = dnal_conv_winograd_applies(&d);
    float *u = tile ? malloc(sizeof(float) * dnal_conv_winograd_weight_floats(&d)) : NULL;
    if (u) dnal_conv_winograd_weights(&d, w, u);
    float *scratch = malloc(sizeof(float) * dnal_conv_scratch_floats(&d));
    double best[2] = {1e30, 1e30};
    for (int c = 0; c < calls; c++) {
        for (int variant = 0; variant < (u ? 2 : 1); variant++) {
            dnal_conv e = d;
            e.winograd = variant ? u : NULL;
            const double t0 = seconds();
            for (int i = 0; i < n; i++) dnal_conv_forward_rows(&e, x + i * image_in, w, bias, y + i * image_out, 0, h, 0, scratch);
            const double t = seconds() - t0;
            if (t < best[variant]) best[variant] = t;
        }
    }
    const double flops = 2.0 * n * h * h * 9.0 * ci * co;
    printf("%dx%d %d->%d, batch %d: direct %.2f ms (%.0f GFLOP/s)", h, h, ci, co, n, best[0] * 1e3, flops / best[0] * 1e-9);
    if (u) printf(", Winograd F(%dx%d, 3x3) %.2f ms: %.2fx\n", tile, tile, best[1] * 1e3, best[0] / best[1]);
    else printf(", no Winograd tile for this layer\n");
    return 0;
}
