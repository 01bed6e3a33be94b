// JPEG and PNG decoding for dnalc's image-folder data sets. libjpeg reports fatal errors through a
// callback that must not return, so errors longjmp back here; that control flow cannot cross Swift
// frames, which is why this layer is C. libpng's simplified API keeps its own setjmp.
#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

static int too_large(long width, long height) {
    return width <= 0 || height <= 0 || width > DNALC_IMAGE_MAX_SIDE || height > DNALC_IMAGE_MAX_SIDE ||
           width * height > DNALC_IMAGE_MAX_PIXELS;
}

static void fail(dnalc_image *out, const char *message) {
    out->pixels = NULL;
    snprintf(out->message, sizeof out->message, "%s", message);
}

struct jpeg_failure {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    int warned;
};

static void jpeg_on_error(j_common_ptr info) {
    struct jpeg_failure *f = (struct jpeg_failure *)info->err;
    info->err->format_message(info, f->message);
    longjmp(f->jump, 1);
}

// Warnings (level -1) include "premature end of data": libjpeg would pad the image with grey.
// dnalc treats any warning as a corrupt file, keeping the first message.
static void jpeg_on_message(j_common_ptr info, int level) {
    struct jpeg_failure *f = (struct jpeg_failure *)info->err;
    if (level < 0 && !f->warned) {
        f->warned = 1;
        info->err->format_message(info, f->message);
    }
}

int dnalc_decode_jpeg(const unsigned char *data, size_t size, int channels, int min_side, dnalc_image *out) {
    struct jpeg_decompress_struct info;
    struct jpeg_failure failure;
    memset(out, 0, sizeof *out);
    memset(&failure, 0, sizeof failure);
    unsigned char *volatile pixels = NULL;
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = jpeg_on_error;
    failure.manager.emit_message = jpeg_on_message;
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&info);
        free(pixels);
        fail(out, failure.message);
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
        jpeg_destroy_decompress(&info);
        fail(out, "a CMYK JPEG (convert it to RGB)");
        return 1;
    }
    if (too_large(info.image_width, info.image_height)) {
        jpeg_destroy_decompress(&info);
        fail(out, "the image is larger than dnalc decodes (32768 pixels a side, 268M pixels)");
        return 1;
    }
    info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    if (min_side > 0) {
        unsigned shorter = info.image_width < info.image_height ? info.image_width : info.image_height;
        unsigned denom = 1;
        while (denom < 8 && shorter / (denom * 2) >= (unsigned)min_side) denom *= 2;
        info.scale_num = 1;
        info.scale_denom = denom;
    }
    jpeg_start_decompress(&info);
    size_t row = (size_t)info.output_width * (size_t)info.output_components;
    pixels = malloc(row * info.output_height);
    if (!pixels) {
        jpeg_destroy_decompress(&info);
        fail(out, "out of memory");
        return 1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW rows[1] = {pixels + row * info.output_scanline};
        jpeg_read_scanlines(&info, rows, 1);
    }
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    if (failure.warned) {
        free(pixels);
        fail(out, failure.message);
        return 1;
    }
    out->width = (int)info.output_width;
    out->height = (int)info.output_height;
    out->channels = info.output_components;
    out->pixels = pixels;
    return 0;
}

int dnalc_decode_png(const unsigned char *data, size_t size, int channels, dnalc_image *out) {
    png_image image;
    memset(out, 0, sizeof *out);
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) {
        fail(out, image.message);
        png_image_free(&image);
        return 1;
    }
    if (too_large(image.width, image.height)) {
        png_image_free(&image);
        fail(out, "the image is larger than dnalc decodes (32768 pixels a side, 268M pixels)");
        return 1;
    }
    image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    unsigned char *pixels = malloc(PNG_IMAGE_SIZE(image));
    if (!pixels) {
        png_image_free(&image);
        fail(out, "out of memory");
        return 1;
    }
    png_color black = {0, 0, 0};
    if (!png_image_finish_read(&image, &black, pixels, 0, NULL)) {
        free(pixels);
        fail(out, image.message);
        png_image_free(&image);
        return 1;
    }
    out->width = (int)image.width;
    out->height = (int)image.height;
    out->channels = channels == 1 ? 1 : 3;
    out->pixels = pixels;
    return 0;
}

void dnalc_image_free(dnalc_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
