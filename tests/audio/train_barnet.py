#!/usr/bin/python3
"""Fits the bar model (media/audio/barnet.c) and writes media/audio/barnet_weights.c.

    train_barnet.py AUDIO_TOOL SONGDIR[,SONGDIR...] OUT.c [--epochs N] [--seed S] [--exclude REGEX]

SONGDIR holds the training songs (`tests/audio/songs.py DIR --set train`; several
directories, comma-separated, are fitted together). For each song,
`audio_tool barfeatures` writes the model's inputs at the notated beats of the truth; the
target is 1 on the beats that are downbeats. Same network shape and training as the beat
model (train_beatnet.py: one tanh hidden layer, Adam, class-weighted cross-entropy, numpy
offline only). Deterministic for a given seed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_beatnet  # noqa: E402

HIDDEN = 16


def load(tool, songdir, exclude):
    xs, ys = [], []
    with open(os.path.join(songdir, "index.json")) as fp:
        names = [n for n in json.load(fp) if not (exclude and re.search(exclude, n))]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            with open(os.path.join(songdir, name + ".json")) as fp:
                t = json.load(fp)
            beats = os.path.join(tmp, "beats.txt")
            with open(beats, "w") as fp:
                fp.write("\n".join("%.6f" % b for b in t["beats"]) + "\n")
            out = os.path.join(tmp, "f.bin")
            subprocess.run([tool, "barfeatures", os.path.join(songdir, t["file"]), beats, out],
                           check=True)
            raw = np.fromfile(out, dtype=np.uint8)
            hdr = np.frombuffer(raw[:16].tobytes(), dtype=np.float64)
            n, dim = int(hdr[0]), int(hdr[1])
            x = np.frombuffer(raw[16:].tobytes(), dtype=np.float32).reshape(n, dim)
            down = set(round(d, 4) for d in t["downbeats"])
            y = np.array([1.0 if round(b, 4) in down else 0.0 for b in t["beats"]], np.float32)
            xs.append(x)
            ys.append(y)
    return np.concatenate(xs), np.concatenate(ys), dim, len(names)


def write_c(path, mean, scale, params, nsongs, nbeats):
    w1, b1, w2, b2 = params
    fmt = train_beatnet.fmt
    with open(path, "w") as fp:
        fp.write("/*\n** Audio step 4a: the bar model's weights, fitted by tests/audio/train_barnet.py on\n"
                 "** %d generated training songs (%d beats). Generated: do not edit by hand.\n*/\n" % (nsongs, nbeats))
        fp.write('#include "barnet_weights.h"\n\n')
        fp.write("const float vsc_audio_barnet_mean[AU_BAR_IN] = {\n  %s};\n" % fmt(mean))
        fp.write("const float vsc_audio_barnet_scale[AU_BAR_IN] = {\n  %s};\n" % fmt(scale))
        fp.write("const float vsc_audio_barnet_w1[BARNET_HIDDEN * AU_BAR_IN] = {\n  %s};\n" % fmt(w1.T.reshape(-1)))
        fp.write("const float vsc_audio_barnet_b1[BARNET_HIDDEN] = {\n  %s};\n" % fmt(b1))
        fp.write("const float vsc_audio_barnet_w2[BARNET_HIDDEN] = {\n  %s};\n" % fmt(w2))
        fp.write("const float vsc_audio_barnet_b2 = %.6ef;\n" % float(b2[0]))


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    tool, songdir, out = argv[1:4]
    epochs, seed = 60, 1
    if "--epochs" in argv:
        epochs = int(argv[argv.index("--epochs") + 1])
    if "--seed" in argv:
        seed = int(argv[argv.index("--seed") + 1])
    exclude = argv[argv.index("--exclude") + 1] if "--exclude" in argv else None
    parts = [load(tool, d, exclude) for d in songdir.split(",")]
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    dim, nsongs = parts[0][2], sum(p[3] for p in parts)
    sys.stderr.write("%d beats, %d inputs, %.1f %% downbeats\n" % (len(y), dim, 100 * y.mean()))
    mean, scale, params = train_beatnet.train(x, y, epochs, seed, HIDDEN)
    write_c(out, mean, scale, params, nsongs, len(y))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
