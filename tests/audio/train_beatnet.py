#!/usr/bin/python3
"""Fits the beat model (media/audio/beatnet.c) and writes media/audio/beatnet_weights.c.

    train_beatnet.py AUDIO_TOOL SONGDIR OUT.c [--epochs N] [--seed S] [--exclude REGEX]

--exclude leaves out the training songs whose names match (docs/beats.md: the Planet Blupi
figures come from models fitted without the tunes they are measured on).

SONGDIR holds the training songs (`tests/audio/songs.py DIR --set train`: seeds disjoint
from the evaluation set). For each song, `audio_tool features` writes the model's inputs at
every onset frame; the target is 1 on the frames within one frame of a notated beat, 0
elsewhere. The model is a one-hidden-layer perceptron (tanh, sigmoid output), trained with
Adam on a class-weighted cross-entropy, in numpy (offline only: the library runs the
weights in plain C). Deterministic for a given seed.
"""
import json
import re
import os
import subprocess
import sys
import tempfile

import numpy as np

HIDDEN = 32


def load(tool, songdir, exclude):
    xs, ys = [], []
    with open(os.path.join(songdir, "index.json")) as fp:
        names = [n for n in json.load(fp) if not (exclude and re.search(exclude, n))]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            with open(os.path.join(songdir, name + ".json")) as fp:
                t = json.load(fp)
            out = os.path.join(tmp, "f.bin")
            subprocess.run([tool, "features", os.path.join(songdir, t["file"]), out], check=True)
            raw = np.fromfile(out, dtype=np.uint8)
            hdr = np.frombuffer(raw[:32].tobytes(), dtype=np.float64)
            n, dim, fps, t0 = int(hdr[0]), int(hdr[1]), hdr[2], hdr[3]
            x = np.frombuffer(raw[32:].tobytes(), dtype=np.float32).reshape(n, dim)
            y = np.zeros(n, dtype=np.float32)
            for b in t["beats"]:
                i = int(round((b - t0) * fps))
                for k in (i - 1, i, i + 1):
                    if 0 <= k < n:
                        y[k] = 1.0
            xs.append(x)
            ys.append(y)
    return np.concatenate(xs), np.concatenate(ys), dim, len(names)


def train(x, y, epochs, seed, hidden=HIDDEN):
    rng = np.random.default_rng(seed)
    mean = x.mean(0)
    std = x.std(0) + 1e-3
    xn = (x - mean) / std
    n, d = xn.shape
    w1 = rng.normal(0, 1 / np.sqrt(d), (d, hidden)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = rng.normal(0, 1 / np.sqrt(hidden), hidden).astype(np.float32)
    b2 = np.float32(0)
    pos = y.mean()
    cw = np.where(y > 0, 0.5 / pos, 0.5 / (1 - pos)).astype(np.float32)
    params = [w1, b1, w2, np.array([b2])]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, bs, step = 2e-3, 512, 0
    for ep in range(epochs):
        order = rng.permutation(n)
        tot = 0.0
        for s in range(0, n, bs):
            idx = order[s:s + bs]
            xb, yb, wb = xn[idx], y[idx], cw[idx]
            h = np.tanh(xb @ params[0] + params[1])
            z = h @ params[2] + params[3][0]
            p = 1 / (1 + np.exp(-z))
            tot += float(-(wb * (yb * np.log(p + 1e-7) + (1 - yb) * np.log(1 - p + 1e-7))).sum())
            dz = wb * (p - yb) / len(idx)
            g2 = h.T @ dz
            gb2 = np.array([dz.sum()])
            dh = np.outer(dz, params[2]) * (1 - h * h)
            g1 = xb.T @ dh + 1e-4 * params[0]
            gb1 = dh.sum(0)
            step += 1
            for k, g in enumerate((g1, gb1, g2, gb2)):
                m[k] = 0.9 * m[k] + 0.1 * g
                v[k] = 0.999 * v[k] + 0.001 * g * g
                mh = m[k] / (1 - 0.9 ** step)
                vh = v[k] / (1 - 0.999 ** step)
                params[k] = (params[k] - lr * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        sys.stderr.write("epoch %d: loss %.4f\n" % (ep + 1, tot / n))
    return mean, 1 / std, params


def fmt(v):
    return ",\n  ".join(", ".join("%.6ef" % float(a) for a in v[i:i + 8]) for i in range(0, len(v), 8))


def write_c(path, mean, scale, params, nsongs, nframes):
    w1, b1, w2, b2 = params
    pre, size = "vsc_audio_beatnet_", "AU_BEATNET_IN"
    with open(path, "w") as fp:
        fp.write("/*\n** Audio step 1b: the beat model's weights, fitted by tests/audio/train_beatnet.py on\n"
                 "** %d generated training songs (%d frames). Generated: do not edit by hand.\n*/\n" % (nsongs, nframes))
        fp.write('#include "beatnet_weights.h"\n\n')
        fp.write("const float %smean[%s] = {\n  %s};\n" % (pre, size, fmt(mean)))
        fp.write("const float %sscale[%s] = {\n  %s};\n" % (pre, size, fmt(scale)))
        fp.write("const float %sw1[BEATNET_HIDDEN * %s] = {\n  %s};\n" % (pre, size, fmt(w1.T.reshape(-1))))
        fp.write("const float %sb1[BEATNET_HIDDEN] = {\n  %s};\n" % (pre, fmt(b1)))
        fp.write("const float %sw2[BEATNET_HIDDEN] = {\n  %s};\n" % (pre, fmt(w2)))
        fp.write("const float %sb2 = %.6ef;\n" % (pre, float(b2[0])))


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    tool, songdir, out = argv[1:4]
    epochs, seed = 12, 1
    if "--epochs" in argv:
        epochs = int(argv[argv.index("--epochs") + 1])
    if "--seed" in argv:
        seed = int(argv[argv.index("--seed") + 1])
    exclude = argv[argv.index("--exclude") + 1] if "--exclude" in argv else None
    x, y, dim, nsongs = load(tool, songdir, exclude)
    sys.stderr.write("%d frames, %d inputs, %.1f %% beat frames\n" % (len(y), dim, 100 * y.mean()))
    mean, scale, params = train(x, y, epochs, seed)
    write_c(out, mean, scale, params, nsongs, len(y))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
