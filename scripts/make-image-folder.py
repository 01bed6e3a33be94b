#!/usr/bin/env python3
"""Writes an MNIST-family IDX data set (plain or .gz) as an image folder, the layout `dnalc --data`
reads like ImageNet's: OUT/train/CLASS/N.EXT and OUT/val/CLASS/N.EXT. Used to benchmark image-folder
input against the same images from IDX (BENCHMARKS.md); needs Pillow.

    scripts/make-image-folder.py IDX_DIR OUT_DIR [--format png|jpg] [--limit N]
"""
import argparse, gzip, os, struct
from PIL import Image


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = struct.unpack(">" + "I" * (magic & 0xFF), data[4:4 + 4 * (magic & 0xFF)])
    return dims, data[4 + 4 * len(dims):]


def find(directory, name):
    for candidate in (name, name + ".gz"):
        if os.path.exists(os.path.join(directory, candidate)):
            return os.path.join(directory, candidate)
    raise SystemExit(f"{directory}: missing {name}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("idx_dir"); p.add_argument("out_dir")
    p.add_argument("--format", choices=["png", "jpg"], default="png")
    p.add_argument("--limit", type=int, default=0)
    a = p.parse_args()
    for split, prefix in (("train", "train"), ("val", "t10k")):
        dims, images = read_idx(find(a.idx_dir, f"{prefix}-images-idx3-ubyte"))
        _, labels = read_idx(find(a.idx_dir, f"{prefix}-labels-idx1-ubyte"))
        count, h, w = dims
        if a.limit:
            count = min(count, a.limit)
        for i in range(count):
            folder = os.path.join(a.out_dir, split, f"class-{labels[i]}")
            os.makedirs(folder, exist_ok=True)
            image = Image.frombytes("L", (w, h), images[i * h * w:(i + 1) * h * w])
            image.save(os.path.join(folder, f"{i}.{a.format}"), **({"quality": 95} if a.format == "jpg" else {}))
        print(f"{split}: {count} images")


if __name__ == "__main__":
    main()
