#!/usr/bin/env python3
"""pcnn-cl's PixelCNN in PyTorch: load the weights `pcnn-cl export` writes and run them.

    python3 tools/pcnn_torch.py WEIGHTS --data IMAGES.npy [--batch 16] [--float32]

WEIGHTS is an exported directory or .npz (`pcnn-cl export --checkpoint C --to DIR|FILE.npz`):
config.txt, manifest.txt (each file's CRC32 is checked when it is there) and one .npy per tensor,
kernels raw HWIO float32 [kh, kw, f_in, f_out]. IMAGES.npy holds uint8 images [N, H, W, C] or
[N, H, W]. It prints the lines `pcnn-cl eval --data npy:IMAGES.npy` prints: bits_per_dim= and
nats= (per sub-pixel), the same numbers to ~1e-7 (tests/cli_torch.sh holds it to 1e-5).

As a module:

    import pcnn_torch
    model = pcnn_torch.load("weights.npz")          # a torch.nn.Module, float64 by default
    logits = model(images)                          # uint8 [B, H, W, C] -> [B, 256*C, H, W]
    bpd = pcnn_torch.bits_per_dim(model, images)

The architecture (docs/ARCHITECTURE.md, host/model/model.c), with C colours, H = hidden_dim*C and
O = out_dim*C; every convolution has a bias and 'same' zero padding; "mask B" lets colour group i
feed group j at the centre tap iff i <= j, "mask A" iff i < j (a group of an F-channel tensor is
F/C consecutive channels), and nothing right of or below the centre:

    x = pixels / 255
    y = input_conv(x)                              7x7 mask A, C -> 2H, no activation
    n_layers times: y = y + relu(conv_out(relu(conv_mid(relu(conv_in(y))))))
                                                   1x1 B 2H->H, 3x3 B H->H, 1x1 B H->2H
    r = relu(output_conv1(relu(y)))                1x1 B 2H->O
    o = output_conv2(r)                            1x1 B O->O, no activation
    logits = final_conv(o)                         1x1 B O->256C: channel c*256+v is colour c, value v

The loss is the mean softmax cross-entropy over every sub-pixel (B*H*W*C of them), in nats;
bits/dim = nats / ln 2.
"""
import argparse
import io
import math
import os
import sys
import zipfile
import zlib

import numpy as np
import torch
import torch.nn.functional as F

CONFIG_KEYS = ("hidden_dim", "out_dim", "n_layers", "channels", "height", "width")


def _reader(path):
    """A function name -> bytes (or None when absent) over a directory or a .npz."""
    if os.path.isdir(path):
        def read(name):
            p = os.path.join(path, name)
            if not os.path.exists(p):
                return None
            with open(p, "rb") as f:
                return f.read()
        return read
    z = zipfile.ZipFile(path)
    names = set(z.namelist())
    return lambda name: z.read(name) if name in names else None


def _manifest(read, where):
    """{file: crc32} from manifest.txt, or None without one."""
    text = read("manifest.txt")
    if text is None:
        return None
    lines = text.decode().splitlines()
    if not lines or lines[0] != "pcnn-cl weights manifest 1":
        raise ValueError(f"{where}: manifest.txt is not a version 1 pcnn-cl weights manifest")
    crcs = {}
    for line in lines[1:]:
        if line.startswith("step="):
            continue
        fields = line.split()
        crcs[fields[0]] = int(fields[-1][len("crc32="):], 16)
    return crcs


def mask(kh, kw, f_in, f_out, colours, mode):
    """The PixelCNN mask of an HWIO kernel (pcnn/mask.h): 1 above the centre row and left of the
    centre, 0 right of it and below; at the centre, input group i feeds output group j iff
    i < j (mode 'A') or i <= j ('B')."""
    m = np.zeros((kh, kw, f_in, f_out), dtype=np.float32)
    cy, cx = kh // 2, kw // 2
    m[:cy] = 1
    m[cy, :cx] = 1
    gi = np.arange(f_in) // (f_in // colours)
    go = np.arange(f_out) // (f_out // colours)
    live = gi[:, None] < go[None, :] if mode == "A" else gi[:, None] <= go[None, :]
    m[cy, cx] = live
    return m


class MaskedConv(torch.nn.Module):
    """A masked convolution from an HWIO kernel and its bias."""

    def __init__(self, kernel, bias, colours, mode, dtype):
        super().__init__()
        kh, kw, f_in, f_out = kernel.shape
        w = kernel * mask(kh, kw, f_in, f_out, colours, mode)  # the files hold masked weights already
        self.weight = torch.nn.Parameter(torch.from_numpy(np.ascontiguousarray(w.transpose(3, 2, 0, 1))).to(dtype))
        self.bias = torch.nn.Parameter(torch.from_numpy(np.asarray(bias)).to(dtype))
        self.padding = (kh // 2, kw // 2)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, padding=self.padding)


class PixelCNN(torch.nn.Module):
    def __init__(self, config, tensors, dtype=torch.float64):
        super().__init__()
        self.config = config
        self.dtype = dtype
        C = config["channels"]

        def conv(name, mode="B"):
            return MaskedConv(tensors[name + ".kernel"], tensors[name + ".bias"], C, mode, dtype)

        self.input_conv = conv("input_conv", "A")
        self.blocks = torch.nn.ModuleList(
            torch.nn.ModuleList(conv(f"res.{i}.{part}") for part in ("conv_in", "conv_mid", "conv_out"))
            for i in range(config["n_layers"]))
        self.output_conv1 = conv("output_conv1")
        self.output_conv2 = conv("output_conv2")
        self.final_conv = conv("final_conv")

    def forward(self, images):
        """uint8 images [B, H, W, C] -> logits [B, 256*C, H, W] (channel c*256+v: colour c, value v)."""
        x = torch.as_tensor(images).permute(0, 3, 1, 2).to(self.dtype) / 255.0
        y = self.input_conv(x)
        for conv_in, conv_mid, conv_out in self.blocks:
            y = y + F.relu(conv_out(F.relu(conv_mid(F.relu(conv_in(y))))))
        r = F.relu(self.output_conv1(F.relu(y)))
        return self.final_conv(self.output_conv2(r))

    def loss_sum(self, images):
        """The sum over the images' sub-pixels of the cross-entropy, in nats."""
        images = torch.as_tensor(images)
        B, H, W, C = images.shape
        logits = self(images).reshape(B, C, 256, H, W).permute(0, 2, 1, 3, 4)  # [B, 256, C, H, W]
        targets = images.permute(0, 3, 1, 2).long()  # [B, C, H, W]
        return F.cross_entropy(logits, targets, reduction="sum").item()


def load(path, dtype=torch.float64):
    """The model an exported directory or .npz holds, with manifest.txt checked when present."""
    read = _reader(path)
    crcs = _manifest(read, path)

    def entry(name):
        data = read(name)
        if data is None:
            raise ValueError(f"{path}: has no {name}")
        if crcs is not None and zlib.crc32(data) != crcs.get(name):
            raise ValueError(f"{path}: {name} does not match manifest.txt")
        return data

    config = {}
    for line in entry("config.txt").decode().splitlines():
        key, _, value = line.partition("=")
        if key in CONFIG_KEYS:
            config[key] = int(value)
    names = ["input_conv"] + [f"res.{i}.{p}" for i in range(config["n_layers"])
                              for p in ("conv_in", "conv_mid", "conv_out")]
    names += ["output_conv1", "output_conv2", "final_conv"]
    tensors = {}
    for n in names:
        for part in ("kernel", "bias"):
            a = np.load(io.BytesIO(entry(f"{n}.{part}.npy")), allow_pickle=False)
            if a.dtype != np.float32:
                raise ValueError(f"{path}: {n}.{part}.npy is {a.dtype}, not float32")
            tensors[f"{n}.{part}"] = a
    return PixelCNN(config, tensors, dtype)


def bits_per_dim(model, images, batch=16):
    """Mean cross-entropy per sub-pixel of uint8 images [N, H, W, C], in bits (and in nats)."""
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            total += model.loss_sum(images[i:i + batch])
    nats = total / images.size
    return nats / math.log(2.0), nats


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("weights", help="exported directory or .npz")
    ap.add_argument("--data", required=True, help="uint8 images .npy [N, H, W, C] or [N, H, W]")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--float32", action="store_true", help="compute in float32 (default float64)")
    a = ap.parse_args()
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    images = np.load(a.data, allow_pickle=False)
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        sys.exit(f"{a.data}: expected uint8 [N, H, W, C] or [N, H, W], got {images.dtype} {images.shape}")
    if images.ndim == 3:
        images = images[..., None]
    model = load(a.weights, torch.float32 if a.float32 else torch.float64)
    if images.shape[3] != model.config["channels"]:
        sys.exit(f"{a.data}: images have {images.shape[3]} colours, the model {model.config['channels']}")
    bpd, nats = bits_per_dim(model, images, a.batch)
    print(f"images={len(images)} size={images.shape[1]}x{images.shape[2]}x{images.shape[3]} device=pytorch")
    print(f"bits_per_dim={bpd:.9g}")
    print(f"nats={nats:.9g}")


if __name__ == "__main__":
    main()
