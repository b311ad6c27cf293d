#!/usr/bin/python3
"""Fits the section model (media/audio/sections.c) and writes media/audio/section_weights.c.

    train_sections.py AUDIO_TOOL CACHEDIR OUT.c --fit SONGDIR [SONGDIR...]
                      [--check SONGDIR...] [--threshold X] [--drop X] [--cv K]
                      [--without NAME,...] [--no-fill] [--min-precision X]

Every song of each SONGDIR (written by tests/audio/songs.py) goes through
`audio_tool secfeatures`, which prints the section descriptors of every beat
(media/audio/au_secfeat.h) as JSON, kept in CACHEDIR per build of the tool. The truth's section
boundaries label the beats: the beat nearest a boundary (within 0.5 s) is a boundary, beats
within 1 s of one are left out, every other beat is not a boundary. A silent lead-in's edge
is found by other means and is not learnt.

The model is a logistic regression on the standardised descriptors (class-balanced,
L2-regularised, full-batch gradient descent; deterministic). The threshold on its log-odds, the song-relative one (a boundary's log-odds
at least the song's strongest minus DROP, or SURE_LOGIT) and the fill rule (sections.c) are those that find
the most boundaries on the --fit songs, scored out of fold (each quarter by a model fitted
on the other three, as new songs will meet it), while keeping the precision at least MIN_PRECISION (or --threshold X,
without the others); the songs of --check are then scored with them (boundaries picked as
sections.c picks them). Fit on songs.py --set train, --set sectrain and --set sectrain2;
check on the development
set; never on the held-out set. --cv K first scores K-fold cross-validation on the --fit
songs (each fold by a model and thresholds fitted on the others); --without leaves the named
descriptors out and --no-fill the fill rule, to measure what each adds.
"""
import json
import os
import subprocess
import sys

import numpy as np

MIN_SECTION_S = 4.0
SNAP = True
MIN_PRECISION = 0.5
SURE_LOGIT = 2.0  # sections.c: a boundary whatever the song's strongest
DROPS = [4.0, 5.0, 6.0, 7.0, 8.0, None]  # None: no song-relative threshold
TAUS = np.arange(-6.0, 6.01, 0.25)  # thresholds tried on the log-odds
WITHOUT = []
FILL_MINS = [0.0, 0.25, 0.5, 1.0]  # the fill bar's onset strength over the bar before (z)
FILL_DROPS = [0.5, 1.0, 2.0, 4.0]  # ... and how much lower the downbeat after may score


def load_set(tool, cache, songdir):
    with open(os.path.join(songdir, "index.json")) as fp:
        names = json.load(fp)
    out = []
    tag = os.path.basename(os.path.normpath(songdir))
    for name in names:
        with open(os.path.join(songdir, name + ".json")) as fp:
            truth = json.load(fp)
        # Keyed by the tool's build time too: a rebuilt analysis recomputes the features.
        feat = os.path.join(cache, "%s__%s__%d.json" % (tag, name, int(os.stat(tool).st_mtime)))
        if not os.path.exists(feat):
            subprocess.run([tool, "secfeatures", os.path.join(songdir, truth["file"]), feat + ".part"],
                           check=True)
            os.rename(feat + ".part", feat)
        with open(feat) as fp:
            d = json.load(fp)
        d["name"], d["truth"] = name, truth["sections"]
        d["x"] = np.array(d["x"], dtype=float).reshape(-1, len(d["names"]))
        for w in WITHOUT:
            d["x"][:, d["names"].index(w)] = 0
        d["t0"] = np.array(d["t0"], dtype=float)
        out.append(d)
    return out


def labels(d):
    t0 = d["t0"]
    y = np.zeros(len(t0))
    ign = np.zeros(len(t0), bool)
    for b in d["truth"]:
        if d["lead"] > 0 and abs(b - d["lead"]) <= 0.5:
            continue
        dist = np.abs(t0 - b)
        if len(dist) == 0:
            continue
        k = int(np.argmin(dist))
        if dist[k] <= 0.5:
            y[k] = 1
        ign |= dist <= 1.0
    return y, ign & (y == 0)


def fit(songs, l2=1e-2, iters=3000, rate=1.0):
    xs, ys = [], []
    for d in songs:
        if len(d["t0"]) == 0:
            continue
        y, ign = labels(d)
        xs.append(d["x"][~ign])
        ys.append(y[~ign])
    x, y = np.vstack(xs), np.concatenate(ys)
    mean, sd = x.mean(0), x.std(0)
    sd[sd < 1e-9] = 1
    z = np.hstack([(x - mean) / sd, np.ones((len(x), 1))])
    w = np.where(y > 0, (y == 0).sum() / max(1, (y > 0).sum()), 1.0)
    th = np.zeros(z.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-z @ th))
        g = z.T @ (w * (p - y)) / w.sum() + l2 * np.r_[th[:-1], 0]
        th -= rate * g
    return mean, 1 / sd, th[:-1], th[-1]


def logits(model, x):
    mean, scale, w, b = model
    return ((x - mean) * scale) @ w + b


def after_fill(d, s, i, fill):
    """As sections.c: the downbeat after a fill bar wins when it scores close."""
    if fill is None:
        return i
    fmin, fdrop = fill
    t0, x, names = d["t0"], d["x"], d["names"]
    kd, kf = names.index("down"), names.index("fill")
    if x[i, kd] == 0:
        return i
    for j in range(i + 1, len(t0)):
        if t0[j] - t0[i] >= 8.0:
            break
        if x[j, kd] == 0:
            continue
        return j if x[j, kf] >= fmin and s[j] >= s[i] - fdrop else i
    return i


def pick(d, s, tau, drop=None, fill=None):
    """As sections.c: strongest first, above tau and above the song's strongest minus drop,
    MIN_SECTION_S from the ends and apart."""
    t0 = d["t0"]
    if len(t0) < 4:
        return []
    if drop is not None:
        tau = max(tau, min(s[1:].max() - drop, SURE_LOGIT))
    first, last = t0[0], d["t1"]
    chosen = [d["gaps"][k] for k in range(len(d["gaps"]))]
    down = d["x"][:, d["names"].index("down")] > 0
    for i in np.argsort(-s, kind="stable"):
        if s[i] < tau:
            break
        if SNAP and not down[i]:  # sections start on bars: the better downbeat a beat away
            near = [j for j in (i - 1, i + 1) if 0 <= j < len(t0) and down[j]]
            if near:
                i = max(near, key=lambda j: s[j])
        i = after_fill(d, s, i, fill)
        if i == 0 or t0[i] - first < MIN_SECTION_S or last - t0[i] < MIN_SECTION_S:
            continue
        if all(abs(t0[i] - c) >= MIN_SECTION_S for c in chosen):
            chosen.append(t0[i])
    return sorted(chosen)


def score(songs, model, tau, drop=None, fill=None):
    found = nb = extra = nst = 0
    for d in songs:
        st = pick(d, d["s"], tau, drop, fill) if len(d["t0"]) else []
        if d["lead"] > 0:
            st = [d["lead"]] + st
        tr = d["truth"]
        found += sum(1 for b in tr if any(abs(s - b) <= 0.5 for s in st))
        extra += sum(1 for s in st if all(abs(s - b) > 0.5 for b in tr))
        nb += len(tr)
        nst += len(st)
    return found / max(1, nb), (nst - extra) / max(1, nst), found, nb, extra, nst


def out_of_fold(songs, k=4):
    """Each song's log-odds by a model fitted on the other folds: the thresholds are
    chosen on these, as they will be met on new songs (a model scores its own fitting
    songs too well)."""
    for f in range(k):
        model = fit([d for n, d in enumerate(songs) if n % k != f])
        for n, d in enumerate(songs):
            if n % k == f:
                d["s"] = logits(model, d["x"])


def choose(songs, model, tau=None):
    """The threshold pair, then the fill rule with it, then the pair again: the most
    boundaries found on songs (scored out of fold) at a precision of at least
    MIN_PRECISION."""
    out_of_fold(songs)
    if tau is not None:
        return tau, None, None

    def best_pair(fl):
        best = None
        for t in TAUS:
            for dr in DROPS:
                r = score(songs, model, t, dr, fl)
                if r[1] >= MIN_PRECISION and (best is None or (r[0], r[1]) > (best[2][0], best[2][1])):
                    best = (t, dr, r)
        return best if best else (0.0, None, score(songs, model, 0.0, None, fl))

    tau, drop, r0 = best_pair(None)
    fill = None
    for fmin in FILL_MINS:
        for fdrop in FILL_DROPS:
            r = score(songs, model, tau, drop, (fmin, fdrop))
            if r[1] >= MIN_PRECISION and (r[0], r[1]) > (r0[0], r0[1]):
                fill, r0 = (fmin, fdrop), r
    if fill is not None:
        tau, drop, _ = best_pair(fill)
    return tau, drop, fill


def cross_validate(songs, k):
    """k-fold: each fold scored by a model and thresholds fitted on the others."""
    tot = np.zeros(4)
    for f in range(k):
        train = [d for n, d in enumerate(songs) if n % k != f]
        test = [d for n, d in enumerate(songs) if n % k == f]
        model = fit(train)
        tau, drop, fill = choose(train, model)
        for d in test:
            d["s"] = logits(model, d["x"])
        r = score(test, model, tau, drop, fill)
        tot += [r[2], r[3], r[4], r[5]]
        print("  fold %d: recall %.3f (%d of %d), precision %.3f (%d extra)" % (f, r[0], r[2], r[3], r[1], r[4]))
    found, nb, extra, nst = tot
    print("cross-validated (%d folds): recall %.3f (%d of %d), precision %.3f (%d extra)" % (
        k, found / nb, found, nb, (nst - extra) / max(1, nst), extra))
    return found / nb


def write_c(path, model, tau, drop, fill, names, nsongs):
    mean, scale, w, b = model
    arr = lambda v: ", ".join("%.6e" % x for x in v)
    with open(path, "w") as fp:
        fp.write("/*\n** Audio step 5b: the section model's weights, fitted by "
                 "tests/audio/train_sections.py on\n** %d songs. Generated: do not edit by hand.\n"
                 "** Inputs: %s.\n*/\n" % (nsongs, " ".join(names)))
        fp.write('#include "section_weights.h"\n\n')
        fp.write("const double vsc_audio_section_mean[AU_SEC_NFEAT] = {%s};\n" % arr(mean))
        fp.write("const double vsc_audio_section_scale[AU_SEC_NFEAT] = {%s};\n" % arr(scale))
        fp.write("const double vsc_audio_section_w[AU_SEC_NFEAT] = {%s};\n" % arr(w))
        fp.write("const double vsc_audio_section_bias = %.6e;\n" % b)
        fp.write("const double vsc_audio_section_threshold = %.6e;\n" % tau)
        fp.write("const double vsc_audio_section_drop = %.6e;\n" % drop)
        fp.write("const double vsc_audio_section_fill_min = %.6e;\n" % (1e9 if fill is None else fill[0]))
        fp.write("const double vsc_audio_section_fill_drop = %.6e;\n" % (0 if fill is None else fill[1]))


def main(argv):
    if len(argv) < 6 or argv[4] != "--fit":
        sys.stderr.write(__doc__)
        return 2
    tool, cache, out = argv[1], argv[2], argv[3]
    fit_dirs, check_dirs, tau, cv = [], [], None, 0
    mode = "fit"
    i = 5
    while i < len(argv):
        a = argv[i]
        if a == "--check":
            mode = "check"
        elif a == "--drop":
            DROPS[:] = [float(argv[i + 1])]
            i += 1
        elif a == "--without":  # leave descriptors out (their weights 0): what each adds
            WITHOUT[:] = argv[i + 1].split(",")
            i += 1
        elif a == "--min-precision":  # the precision the thresholds keep, out of fold
            global MIN_PRECISION
            MIN_PRECISION = float(argv[i + 1])
            i += 1
        elif a == "--no-fill":
            FILL_MINS[:] = []
        elif a == "--cv":
            cv = int(argv[i + 1])
            i += 1
        elif a == "--threshold":
            tau = float(argv[i + 1])
            i += 1
        elif mode == "fit":
            fit_dirs.append(a)
        else:
            check_dirs.append(a)
        i += 1
    os.makedirs(cache, exist_ok=True)
    songs = [d for s in fit_dirs for d in load_set(tool, cache, s)]
    names = songs[0]["names"]
    if cv:
        cross_validate(songs, cv)
    model = fit(songs)
    tau, drop, fill = choose(songs, model, tau)
    for d in songs:
        d["s"] = logits(model, d["x"])
    r = score(songs, model, tau, drop, fill)
    print("fit (%d songs): threshold %.2f, drop %s, fill %s, recall %.3f (%d of %d), precision %.3f (%d extra)" % (
        len(songs), tau, drop, fill, r[0], r[2], r[3], r[1], r[4]))
    for s in check_dirs:
        c = load_set(tool, cache, s)
        for d in c:
            d["s"] = logits(model, d["x"])
        r = score(c, model, tau, drop, fill)
        print("check %s (%d songs): recall %.3f (%d of %d), precision %.3f (%d extra)" % (
            s, len(c), r[0], r[2], r[3], r[1], r[4]))
    write_c(out, model, tau, 1e9 if drop is None else drop, fill, names, len(songs))
    # The file is C in the repository: formatted as scripts/format-check.sh expects.
    if subprocess.run(["sh", "-c", "command -v clang-format"], stdout=subprocess.DEVNULL).returncode == 0:
        subprocess.run(["clang-format", "-i", out], check=True)
    print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
