#!/usr/bin/python3
"""Scores `vsc beats` (and aubio's CLI, in the same invocation) on the rendered song set.

    songs_eval.py VSC SONGDIR [--no-aubio] [--songs a,b,c] [--verbose]
                  [--min-f X] [--min-tempo X] [--min-down X] [--min-sections X]
                  [--min-section-precision X]

SONGDIR is what tests/audio/songs.py wrote (index.json, NAME.json truth, NAME.<ext> audio).
Figures, as the music-analysis literature computes them:
  beat F       F-measure of beats within +-70 ms of the notated beats (MIREX, Davies et al.
               2009), averaged over songs;
  tempo        share of songs whose tempo (median beat interval) is within 4 % of the truth's
               median beat interval;
  downbeats    share of 4/4 songs whose downbeat F-measure (+-70 ms) is at least 0.8;
  sections     recall of section boundaries (and silence/music edges) within +-0.5 s, and
               precision: the share of boundaries found that are within 0.5 s of a true one;
  speed        seconds of audio per second of wall time of the whole CLI run (decode included),
               and per second of CPU time ("on one core": the CLI is single-threaded, and
               on a shared machine the wall time also counts other people's work).
With --min-* thresholds it exits 1 when a figure is below its threshold (the ctest uses this).
"""
import json
import os
import resource
import subprocess
import sys
import time


def fmeasure(est, ref, tol=0.07):
    if not est or not ref:
        return 1.0 if len(est) == len(ref) else 0.0
    hit, j = 0, 0
    for r in ref:
        while j < len(est) and est[j] < r - tol:
            j += 1
        if j < len(est) and abs(est[j] - r) <= tol:
            hit += 1
            j += 1
    p, rc = hit / len(est), hit / len(ref)
    return 2 * p * rc / (p + rc) if p + rc else 0.0


def median(v):
    v = sorted(v)
    n = len(v)
    return 0.0 if n == 0 else v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def truth_bpm(t):
    b = t["beats"]
    return 60.0 / median([b[i + 1] - b[i] for i in range(len(b) - 1)])


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_vsc(vsc, path):
    t0, c0 = time.monotonic(), child_cpu()
    out = subprocess.run([vsc, "beats", "--json", "--no-cache", path], capture_output=True,
                         text=True)
    wall = time.monotonic() - t0
    run_vsc.cpu += child_cpu() - c0
    if out.returncode != 0:
        raise RuntimeError("vsc beats %s: %s" % (path, out.stderr.strip()))
    return json.loads(out.stdout), wall


run_vsc.cpu = 0.0


def run_aubio(path):
    t0 = time.monotonic()
    out = subprocess.run(["aubio", "beat", path], capture_output=True, text=True)
    beats = [float(x) for x in out.stdout.split()] if out.returncode == 0 else []
    tout = subprocess.run(["aubio", "tempo", path], capture_output=True, text=True)
    wall = time.monotonic() - t0
    bpm = 0.0
    for tok in tout.stdout.split():
        try:
            bpm = float(tok)
            break
        except ValueError:
            pass
    return beats, bpm, wall


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    vsc, songdir = argv[1], argv[2]
    opts = {"aubio": True, "songs": None, "verbose": False}
    mins = {}
    i = 3
    while i < len(argv):
        a = argv[i]
        if a == "--no-aubio":
            opts["aubio"] = False
        elif a == "--verbose":
            opts["verbose"] = True
        elif a == "--songs":
            opts["songs"] = argv[i + 1].split(",")
            i += 1
        elif a.startswith("--min-"):
            mins[a[6:]] = float(argv[i + 1])
            i += 1
        else:
            sys.stderr.write("songs_eval: unknown option %s\n" % a)
            return 2
        i += 1
    with open(os.path.join(songdir, "index.json")) as fp:
        names = json.load(fp)
    if opts["songs"]:
        names = [n for n in names if n in opts["songs"]]
    if opts["aubio"] and subprocess.run(["sh", "-c", "command -v aubio"],
                                        stdout=subprocess.DEVNULL).returncode:
        sys.stderr.write("songs_eval: aubio (Debian aubio-tools) not installed; no baseline\n")
        opts["aubio"] = False

    rows = []
    tot_audio = tot_vsc = tot_aubio = 0.0
    for name in names:
        with open(os.path.join(songdir, name + ".json")) as fp:
            t = json.load(fp)
        path = os.path.join(songdir, t["file"])
        a, wall = run_vsc(vsc, path)
        tb = truth_bpm(t)
        row = {"name": name, "meter": t["meter"], "tbpm": tb}
        row["f"] = fmeasure(a["beats"], t["beats"])
        row["bpm"] = a["tempo"]
        row["tempo_ok"] = abs(a["tempo"] - tb) <= 0.04 * tb
        row["octave_ok"] = any(abs(a["tempo"] * k - tb) <= 0.04 * tb for k in (0.5, 1, 2, 1.5, 2.0 / 3, 3, 1.0 / 3))
        row["down_f"] = fmeasure(a["downbeats"], t["downbeats"])
        row["est_meter"] = a["meter"]
        starts = [s["start"] for s in a["sections"][1:]]
        found = sum(1 for b in t["sections"] if any(abs(s - b) <= 0.5 for s in starts))
        row["bounds"], row["found"] = len(t["sections"]), found
        row["extra"] = sum(1 for s in starts if all(abs(s - b) > 0.5 for b in t["sections"]))
        row["starts"] = len(starts)
        tot_audio += a["duration"]
        tot_vsc += wall
        if opts["aubio"]:
            ab, abpm, aw = run_aubio(path)
            row["af"] = fmeasure(ab, t["beats"])
            row["abpm"] = abpm
            row["atempo_ok"] = abs(abpm - tb) <= 0.04 * tb
            tot_aubio += aw
        rows.append(row)
        if opts["verbose"]:
            print("%-24s F %.3f  bpm %6.1f (truth %6.1f)%s  meter %d/%d down F %.2f  sections %d/%d (+%d)%s" % (
                name, row["f"], row["bpm"], tb, "" if row["tempo_ok"] else " *",
                row["est_meter"], t["meter"], row["down_f"], found, row["bounds"], row["extra"],
                "  aubio F %.3f bpm %.1f" % (row["af"], row["abpm"]) if opts["aubio"] else ""))
            sys.stdout.flush()
    n = len(rows)
    if n == 0:
        sys.stderr.write("songs_eval: no songs in %s\n" % songdir)
        return 2
    f = sum(r["f"] for r in rows) / n
    tempo = sum(r["tempo_ok"] for r in rows) / n
    octave = sum(r["octave_ok"] for r in rows) / n
    four = [r for r in rows if r["meter"] == 4]
    down = sum(r["down_f"] >= 0.8 for r in four) / len(four) if four else 1.0
    nb = sum(r["bounds"] for r in rows)
    sec = sum(r["found"] for r in rows) / nb if nb else 1.0
    extra = sum(r["extra"] for r in rows)
    speed = tot_audio / tot_vsc if tot_vsc > 0 else 0
    cpu_speed = tot_audio / run_vsc.cpu if run_vsc.cpu > 0 else 0
    print("songs: %d (%.0f s of audio), %d in 4/4, %d section boundaries" % (n, tot_audio, len(four), nb))
    print("%-8s %8s %8s %10s %10s %10s %10s" % ("", "beat F", "tempo", "tempo x2/3", "downbeats", "sections", "speed"))
    print("%-8s %8.3f %7.0f%% %9.0f%% %9.0f%% %9.0f%% %9.0fx" % (
        "vsc", f, 100 * tempo, 100 * octave, 100 * down, 100 * sec, speed))
    if opts["aubio"]:
        af = sum(r["af"] for r in rows) / n
        at = sum(r["atempo_ok"] for r in rows) / n
        aspeed = tot_audio / tot_aubio if tot_aubio > 0 else 0
        print("%-8s %8.3f %7.0f%% %10s %10s %10s %9.0fx" % ("aubio", af, 100 * at, "-", "-", "-", aspeed))
        print("ratio    %8.2f %8.2f %32s %9.2f" % (f / af if af else 0, tempo / at if at else 0, "", speed / aspeed if aspeed else 0))
    nstarts = sum(r["starts"] for r in rows)
    sec_p = (nstarts - extra) / nstarts if nstarts else 1.0
    print("section boundaries: recall %.3f (%d of %d), precision %.3f (%d extra of %d found)" % (
        sec, sum(r["found"] for r in rows), nb, sec_p, extra, nstarts))
    print("vsc speed on one core (audio s / CPU s): %.0fx" % cpu_speed)
    got = {"f": f, "tempo": tempo, "down": down, "sections": sec, "section-precision": sec_p,
           "speed": speed,
           "cpu-speed": cpu_speed}
    bad = [k for k, v in mins.items() if got.get(k, 0) < v]
    for k in bad:
        print("FAIL: %s %.3f below %.3f" % (k, got[k], mins[k]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
