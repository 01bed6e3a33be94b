#ifndef DNALC_IMAGE_CODECS_H
#define DNALC_IMAGE_CODECS_H

#include <stddef.h>

/// A decoded image: `height` rows of `width` pixels of `channels` bytes (1 grey, 3 RGB), row-major
/// (HWC). On failure `pixels` is NULL and `message` says why, in libjpeg's or libpng's words.
typedef struct {
    int width;
    int height;
    int channels;
    unsigned char *pixels;
    char message[256];
} dnalc_image;

/// The largest side and pixel count dnalc decodes: anything larger is refused before memory is
/// allocated (a small file can declare an enormous image).
#define DNALC_IMAGE_MAX_SIDE 32768
#define DNALC_IMAGE_MAX_PIXELS (1L << 28)

/// Decodes a JPEG held in memory to `channels` (1 or 3) channels. With `min_side` > 0 the decoder
/// may scale by 1/2, 1/4 or 1/8 in its DCT (much faster) while the shorter side stays at least
/// `min_side`. A truncated or corrupt stream is an error, not a grey-filled image. Returns 0 on
/// success; free the result with `dnalc_image_free`.
int dnalc_decode_jpeg(const unsigned char *data, size_t size, int channels, int min_side, dnalc_image *out);

/// Decodes a PNG held in memory (any bit depth, palette, grey or colour, with or without alpha)
/// to `channels` (1 or 3) 8-bit channels; transparent pixels are composited onto black. Returns 0
/// on success.
int dnalc_decode_png(const unsigned char *data, size_t size, int channels, dnalc_image *out);

/// Releases `pixels`.
void dnalc_image_free(dnalc_image *image);

#endif
