#!/usr/bin/env python3
"""Golden tests: TTIR files whose `// RUN:` line names a `tvk` command and whose `// CHECK...:`
lines say what its output must contain, in the style of LLVM's FileCheck (a small subset):

  // RUN: opt --print=layouts --target lavapipe --num-warps 4     (tvk opt FILE ...; stdout)
  // RUN: compile --target nvidia-hopper                          (tvk compile FILE ... --asm)
  // RUN: TVK_FRAGMENT_ROWS=1 compile ...                          (leading NAME=VALUE: environment)
  // CHECK: text          the next line at or after the current position that contains it
  // CHECK-NEXT: text     the line right after the previous match must contain it
  // CHECK-NOT: text      no line between the previous match and the next CHECK's match
                          (or the end) contains it
  // CHECK-ERROR: text    the command must fail and its stderr contain the text

Text is literal except for {{regex}} parts (SPIR-V ids: `%{{[0-9]+}}`). Usage:
run_golden.py TVK_BINARY DIR [FILE...]; exits 1 when a check fails, naming the file and line."""
import os
import re
import subprocess
import sys
import tempfile

DIRECTIVE = re.compile(r"^\s*//\s*(RUN|CHECK|CHECK-NEXT|CHECK-NOT|CHECK-ERROR):\s?(.*)$")


def pattern(text):
    parts = re.split(r"\{\{(.*?)\}\}", text.rstrip())
    return re.compile("".join(re.escape(p) if i % 2 == 0 else p for i, p in enumerate(parts)))


def run_tvk(tvk, path, args):
    words = args.split()
    env = dict(os.environ)
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    with tempfile.TemporaryDirectory() as tmp:
        if words[0] == "compile":
            out = os.path.join(tmp, "out.spvasm")
            r = subprocess.run([tvk, "compile", path, *words[1:], "-o", out, "--asm"],
                               capture_output=True, text=True, env=env)
            text = open(out).read() if r.returncode == 0 and os.path.exists(out) else ""
        else:
            r = subprocess.run([tvk, words[0], path, *words[1:]], capture_output=True, text=True, env=env)
            text = r.stdout
    return r.returncode, text, r.stderr


def check_file(tvk, path):
    directives = []
    for n, line in enumerate(open(path), 1):
        m = DIRECTIVE.match(line)
        if m:
            directives.append((m.group(1), m.group(2), n))
    runs = [d for d in directives if d[0] == "RUN"]
    if len(runs) != 1:
        return [f"{path}: needs exactly one // RUN: line"]
    rc, out, err = run_tvk(tvk, path, runs[0][1])
    checks = [d for d in directives if d[0] != "RUN"]
    if not checks:
        return [f"{path}: no CHECK lines"]
    errors = []
    expect_error = [d for d in checks if d[0] == "CHECK-ERROR"]
    if expect_error:
        if rc == 0:
            return [f"{path}: the command succeeded, CHECK-ERROR expected a failure"]
        for _, text, n in expect_error:
            if not pattern(text).search(err):
                errors.append(f"{path}:{n}: stderr lacks '{text}':\n{err}")
        return errors
    if rc != 0:
        return [f"{path}: tvk {runs[0][1]} failed ({rc}):\n{err}"]
    lines = out.splitlines()
    pos = 0          # first line a CHECK may match
    last = -1        # line of the previous match
    pending_not = []
    for kind, text, n in checks:
        pat = pattern(text)
        if kind == "CHECK-NOT":
            pending_not.append((pat, text, n))
            continue
        if kind == "CHECK-NEXT":
            found = last + 1 if last + 1 < len(lines) and pat.search(lines[last + 1]) else None
            if found is None:
                errors.append(f"{path}:{n}: CHECK-NEXT '{text}' not on the line after "
                              f"'{lines[last] if 0 <= last < len(lines) else ''}'")
                return errors
        else:
            found = next((i for i in range(pos, len(lines)) if pat.search(lines[i])), None)
            if found is None:
                errors.append(f"{path}:{n}: CHECK '{text}' not found after line {pos + 1} of the output")
                return errors
        for npat, ntext, nn in pending_not:
            for i in range(pos, found):
                if npat.search(lines[i]):
                    errors.append(f"{path}:{nn}: CHECK-NOT '{ntext}' found: {lines[i]}")
        pending_not = []
        last, pos = found, found + 1
    for npat, ntext, nn in pending_not:
        for i in range(pos, len(lines)):
            if npat.search(lines[i]):
                errors.append(f"{path}:{nn}: CHECK-NOT '{ntext}' found: {lines[i]}")
    return errors


def self_test(tvk, folder):
    """The matcher must fail on wrong expectations: each variant of a passing file below breaks
    one check kind."""
    base = os.path.join(folder, "layouts_softmax.ttir")
    body = "".join(l for l in open(base) if not DIRECTIVE.match(l))
    run = "// RUN: opt --print=layouts --target lavapipe --num-warps 4\n"
    bad = {
        "missing text": "// CHECK: no such layout\n",
        "next line": "// CHECK: tensor<1024xf32>\n// CHECK-NEXT: no such line\n",
        "present text": "// CHECK: tensor<1024xf32>\n// CHECK-NOT: blocked<1024>\n",
        "error expected": "// CHECK-ERROR: anything\n",
    }
    wrong = []
    with tempfile.TemporaryDirectory() as tmp:
        for what, checks in bad.items():
            path = os.path.join(tmp, "bad.ttir")
            with open(path, "w") as f:
                f.write(run + checks + body)
            if not check_file(tvk, path):
                wrong.append(what)
    for w in wrong:
        print(f"FAIL self-test: a wrong expectation ({w}) passed")
    return not wrong


def main():
    tvk, folder = sys.argv[1], sys.argv[2]
    if not self_test(tvk, folder):
        return 1
    files = sys.argv[3:] or sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".ttir"))
    failed = 0
    for f in files:
        errs = check_file(tvk, f)
        print(("FAIL " if errs else "ok   ") + os.path.basename(f))
        for e in errs:
            print("  " + e)
        failed += bool(errs)
    print(f"{len(files) - failed} of {len(files)} golden tests pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
