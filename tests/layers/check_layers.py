#!/usr/bin/env python3
"""Dependencies point down: no source file includes a header from a higher layer.

Layers, lowest first (a file may include headers of its own layer and of lower ones):
  base < media < {compiler, runtime} < frontend < studio < cli
compiler and runtime are siblings and never include each other. Inside each, the stages
are ranked too (the pipeline's order); a stage may include its own and lower stages.
Usage: check_layers.py SOURCE_DIR. Prints every upward include and exits 1 if any.
       check_layers.py --self-test: proves it finds upward includes in a small made-up tree.
"""
import os
import re
import sys

if sys.argv[1] == "--self-test":
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        files = {
            "runtime/include/vsc/vsc_runtime.h": "",
            "compiler/parse/parse.h": "",
            "media/audio/a.c": '#include "vsc/vsc_runtime.h"\n',   # media -> runtime: up
            "compiler/ast/ast.c": '#include "parse/parse.h"\n',     # ast -> parse: up a stage
            "compiler/check/c.c": '#include "vsc/vsc_runtime.h"\n', # compiler -> runtime: sibling
            "compiler/plan/p.c": '#include "parse/parse.h"\n',      # plan -> parse: down, fine
        }
        for name, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(t, name)), exist_ok=True)
            with open(os.path.join(t, name), "w") as fh:
                fh.write(text)
        r = subprocess.run([sys.executable, __file__, t], capture_output=True, text=True)
        want = ["media/audio/a.c:1:", "compiler/ast/ast.c:1:", "compiler/check/c.c:1:", "3 upward includes"]
        missing = [w for w in want if w not in r.stdout]
        if r.returncode != 1 or missing or "plan/p.c" in r.stdout:
            print(r.stdout)
            print("self-test failed; missing:", missing)
            sys.exit(1)
        print("self-test: the three upward includes were found, the downward one was not")
        sys.exit(0)

ROOT = sys.argv[1]
TOP = {"base": 0, "media": 1, "compiler": 2, "runtime": 2, "frontend": 3, "studio": 4, "cli": 5}
SIBLINGS = {("compiler", "runtime"), ("runtime", "compiler")}
# Stages inside a layer, lowest first; equal ranks may include each other.
STAGES = {
    "compiler": {"include": 0, "diag": 0, "ast": 1, "lex": 2, "parse": 2, "check": 3, "registry": 4,
                 "ir": 4, "plan": 5, "fmt": 5, "driver": 6},
    "runtime": {"include": 0, "util": 0, "cache": 1, "journal": 1, "compositor": 2, "providers": 3,
                "sched": 4},
    "media": {"include": 0, "audio": 1, "text": 1, "speech": 1, "probe": 1},
}
# Public headers (vsc/NAME.h) by the layer and stage that owns them.
PUBLIC = {}
for layer in TOP:
    d = os.path.join(ROOT, layer, "include", "vsc")
    if os.path.isdir(d):
        for name in os.listdir(d):
            PUBLIC["vsc/" + name] = (layer, "include")
# A public header belongs to the stage that implements it, for the ranks above.
OWNER = {"vsc/vsc_audio.h": "audio", "vsc/vsc_text.h": "text", "vsc/vsc_speech.h": "speech", "vsc/vsc_media.h": "probe",
         "vsc/vsc_compositor.h": "compositor", "vsc/vsc_local.h": "providers",
         "vsc/vsc_replicate.h": "providers", "vsc/vsc_provider.h": "util", "vsc/vsc_op.h": "util",
         "vsc/vsc_runtime.h": "include"}


def where(path):
    rel = os.path.relpath(path, ROOT).split(os.sep)
    layer = rel[0]
    stage = rel[1] if len(rel) > 2 else ""
    return layer, stage


def resolve(inc, layer):
    if inc in PUBLIC:
        owner_layer, _ = PUBLIC[inc]
        return owner_layer, OWNER.get(inc, "include")
    first = inc.split("/")[0]
    if "/" in inc and os.path.exists(os.path.join(ROOT, layer, inc)):
        return layer, first
    return None  # same-directory header or generated file


def rank(layer, stage):
    return STAGES.get(layer, {}).get(stage, 0)


bad = []
for layer in TOP:
    for dirpath, _, files in os.walk(os.path.join(ROOT, layer)):
        if "node_modules" in dirpath or "/web" in dirpath:
            continue
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(dirpath, f)
            lay, stage = where(path)
            with open(path, encoding="utf-8", errors="replace") as fh:
                for n, line in enumerate(fh, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    r = resolve(m.group(1), lay)
                    if not r:
                        continue
                    to_layer, to_stage = r
                    up = TOP[to_layer] > TOP[lay] or (lay, to_layer) in SIBLINGS
                    if not up and to_layer == lay and rank(lay, to_stage) > rank(lay, stage):
                        up = True
                    if up:
                        bad.append("%s:%d: %s/%s includes \"%s\" (%s/%s), a higher layer" % (
                            os.path.relpath(path, ROOT), n, lay, stage or "-", m.group(1), to_layer, to_stage))
for b in bad:
    print(b)
print("%d upward include%s" % (len(bad), "" if len(bad) == 1 else "s"))
sys.exit(1 if bad else 0)
