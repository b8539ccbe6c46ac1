#!/usr/bin/env python3
"""Run a deterministic sample of Triton's upstream test_core.py against triton-vulkan.

  run_sample.py collect   # all node ids            -> RESULTS/all_ids.txt
  run_sample.py select    # every Nth id + 1st id of every test function missing -> RESULTS/sample_ids.txt
  run_sample.py run       # the sample, J shards in parallel, per-test watchdog -> RESULTS/shard*.jsonl
  run_sample.py summarize # tables and failure classes -> RESULTS/summary.md, summary.json

Each shard is a pytest process (plugin tvk_upstream_plugin) that logs a JSON line when a test
starts and when it ends. The runner watches the log: a test running longer than --timeout gets
its process group killed (outcome "timeout"); a process that dies in a test (signal, abort) gives
outcome "crash" with the exit status. Either way the shard restarts with the tests not yet run.
Nothing here needs pytest-timeout.
"""
import argparse
import collections
import json
import os
import re
import signal
import tempfile
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def pytest_cmd(a, extra):
    # tvk_torch_compat: float8 view-and-convert, a CUDA matmul knob and CPU float16 matmul for the
    # references on torch 1.13.
    return [a.python, "-m", "pytest", "-p", "tvk_upstream_plugin", "-p", "tvk_torch_compat", "-p", "no:cacheprovider",
            "--rootdir", a.upstream, "-q", "--no-header", "-o", "addopts=", "-o", "console_output_style=classic",
            os.path.relpath(a.test_file, a.upstream)] + extra


def env_for(a):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([HERE, a.tvk_python] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["TRITON_CACHE_DIR"] = os.path.join(a.results, "triton-cache")
    env.pop("TRITON_INTERPRET", None)
    return env


def cmd_collect(a):
    os.makedirs(a.results, exist_ok=True)
    p = subprocess.run(pytest_cmd(a, ["--collect-only"]), cwd=a.upstream, env=env_for(a),
                       capture_output=True, text=True)
    ids = [l.strip() for l in p.stdout.splitlines() if "::" in l and not l.startswith(" ")]
    with open(os.path.join(a.results, "collect.log"), "w") as f:
        f.write(p.stdout[-20000:] + "\n--- stderr\n" + p.stderr[-20000:])
    with open(os.path.join(a.results, "all_ids.txt"), "w") as f:
        f.write("\n".join(ids) + "\n")
    print(f"collected {len(ids)} ids (pytest rc {p.returncode}); tail: {p.stdout.strip().splitlines()[-1:]}")


def func_of(nodeid):
    return nodeid.split("::", 1)[1].split("[", 1)[0]


def cmd_select(a):
    ids = open(os.path.join(a.results, "all_ids.txt")).read().split("\n")
    ids = [i for i in ids if i]
    chosen = {i for k, i in enumerate(ids) if k % a.every == 0}
    have = {func_of(i) for i in chosen}
    added = 0
    for i in ids:
        f = func_of(i)
        if f not in have:
            chosen.add(i)
            have.add(f)
            added += 1
    last = set(a.last.split(",")) if a.last else set()
    sample = [i for i in ids if i in chosen and func_of(i) not in last]  # file order,
    tail = collections.defaultdict(list)
    for i in ids:
        if i in chosen and func_of(i) in last:
            tail[func_of(i)].append(i)
    while any(tail.values()):  # slow functions last, interleaved: each gets some if the budget runs out
        for f in [f for f in a.last.split(",") if tail.get(f)]:
            sample.append(tail[f].pop(0))
    with open(os.path.join(a.results, "sample_ids.txt"), "w") as f:
        f.write("\n".join(sample) + "\n")
    print(f"{len(ids)} ids, {len({func_of(i) for i in ids})} functions; ids 0, N, 2N.. (N={a.every}): "
          f"{len(sample) - added}, + {added} first ids of functions not hit = {len(sample)} sampled")


def read_log(path, pos):
    recs = []
    if not os.path.exists(path):
        return recs, pos
    with open(path) as f:
        f.seek(pos)
        while True:
            line = f.readline()
            if not line or not line.endswith("\n"):
                break
            pos += len(line)
            recs.append(json.loads(line))
    return recs, pos


class Shard:
    def __init__(self, a, k, ids):
        self.a, self.k, self.todo = a, k, list(ids)
        self.log = os.path.join(a.results, f"shard{k}.jsonl")
        self.runner_log = os.path.join(a.results, f"shard{k}.runner.jsonl")
        self.done = set()
        self.proc = None
        self.launch = 0
        self.pos = 0
        self.cur = None  # (id, t0)
        for name in os.listdir(a.results):  # resume: a result from any shard counts
            if name.startswith("shard") and name.endswith(".jsonl"):
                recs, _ = read_log(os.path.join(a.results, name), 0)
                self.done |= {r["id"] for r in recs if r["ev"] == "end"}
        self.pos = os.path.getsize(self.log) if os.path.exists(self.log) else 0

    def remaining(self):
        return [i for i in self.todo if i not in self.done]

    def start(self):
        rem = self.remaining()
        if not rem:
            return False
        self.launch += 1
        while os.path.exists(os.path.join(self.a.results, f"shard{self.k}.launch{self.launch}.out")):
            self.launch += 1
        idfile = os.path.join(self.a.results, f"shard{self.k}.ids")
        with open(idfile, "w") as f:
            f.write("\n".join(rem) + "\n")
        self.out = open(os.path.join(self.a.results, f"shard{self.k}.launch{self.launch}.out"), "w")
        self.proc = subprocess.Popen(pytest_cmd(self.a, ["--tvk-ids", idfile, "--tvk-log", self.log, "-rN"]),
                                     cwd=self.a.upstream, env=env_for(self.a), stdout=self.out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.launched_with = len(rem)
        self.cur = None
        return True

    def record(self, rec):
        with open(self.runner_log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.done.add(rec["id"])

    def poll(self):
        recs, self.pos = read_log(self.log, self.pos)
        for r in recs:
            if r["ev"] == "start":
                self.cur = (r["id"], r["t"])
            else:
                self.done.add(r["id"])
                self.cur = None
        rc = self.proc.poll()
        if rc is None:
            if self.cur and time.time() - self.cur[1] > self.a.timeout:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                recs, self.pos = read_log(self.log, self.pos)
                self.record({"ev": "end", "id": self.cur[0], "outcome": "timeout",
                             "msg": f"timeout: killed after {self.a.timeout}s", "dur": self.a.timeout, "text": ""})
                self.out.close()
                self.cur = None
                return "restart"
            return "running"
        self.out.close()
        if self.cur:  # died inside a test
            tail = open(self.out.name, errors="replace").read()[-3000:]
            sig = -rc if rc < 0 else None
            self.record({"ev": "end", "id": self.cur[0], "outcome": "crash",
                         "msg": f"crash: process exit status {rc}" + (f" (signal {signal.Signals(sig).name})" if sig else ""),
                         "dur": round(time.time() - self.cur[1], 3), "text": tail})
            self.cur = None
            return "restart"
        if self.remaining() and len(self.remaining()) == self.launched_with:
            # no progress at all: collection or internal error; give up on this shard
            for i in self.remaining():
                self.record({"ev": "end", "id": i, "outcome": "notrun", "msg": f"pytest exit {rc} without running it",
                             "dur": 0, "text": ""})
            return "finished"
        return "restart" if self.remaining() else "finished"


def cmd_run(a):
    ids = [i for i in open(os.path.join(a.results, "sample_ids.txt")).read().split("\n") if i]
    shards = [Shard(a, k, ids[k::a.jobs]) for k in range(a.jobs)]
    t_start = time.time()
    active = [s for s in shards if s.start()]
    budget_hit = False
    while active:
        time.sleep(0.5)
        for s in list(active):
            st = s.poll()
            if st == "running":
                continue
            if st == "restart" and time.time() - t_start < a.budget and s.start():
                continue
            if st == "restart" and time.time() - t_start >= a.budget:
                budget_hit = True
            active.remove(s)
        if time.time() - t_start > a.budget and active:
            budget_hit = True  # stop now: the running tests and the rest stay "notrun"
            for s in active:
                os.killpg(s.proc.pid, signal.SIGKILL)
                s.proc.wait()
            active = []
    print(f"run finished in {time.time() - t_start:.0f}s; budget hit: {budget_hit}")


def load_results(a):
    ids = [i for i in open(os.path.join(a.results, "sample_ids.txt")).read().split("\n") if i]
    res = {}
    for name in sorted(os.listdir(a.results)):
        if name.startswith("shard") and name.endswith(".jsonl"):
            recs, _ = read_log(os.path.join(a.results, name), 0)
            for r in recs:
                if r["ev"] == "end":
                    res[r["id"]] = r
    for i in ids:
        res.setdefault(i, {"id": i, "outcome": "notrun", "msg": "not run (budget)", "dur": 0, "text": ""})
    return ids, res


# failure classes: (name, regex over the error message), first match wins; group 1, if any, is
# the op for the "unsupported op" breakdown
CLASSES = [
    ("process crash (signal/abort)", r"^crash:"),
    ("timeout (watchdog)", r"^timeout:"),
    ("unsupported: tt.dot_scaled", r"unsupported: (tt\.dot_scaled) at"),
    ("unsupported: atomics on non-32-bit types, atomic_cas on floats",
     r"unsupported: (tt\.atomic_(?:rmw|cas)) at [^:]+:\d+: (?:atomics on|atomic_cas on floats)"),
    ("unsupported: tt.dot variant (batched 3-D, f16 accumulator, fp8 operands)", r"unsupported: (tt\.dot) at"),
    ("unsupported: other op", r"unsupported: (\S+) at"),
    ("unsupported: other", r"unsupported"),
    ("shared memory need over the device limit", r"shared memory: .* needs \d+ bytes"),
    ("backend options: fp8e4b15 not a supported fp8 type", r"fp8e4b15 not supported"),
    ("backend options: dot input_precision bf16x3/bf16x6 not allowed", r"input_precision must be one of"),
    ("wrong result (no error)", r"Arrays are not equal|Not equal to tolerance|Mismatched elements"),
    ("test reads GPU-only compiler output (asm['ttgir'] etc.)", r"Unknown key: '(?:ttgir|ptx|llir|amdgcn|cubin|hsaco)'"),
    ("test hard-codes a CUDA torch device", r"Torch not compiled with CUDA"),
    ("torch 1.13 CPU limitation (no torch.uint64 / no CPU half matmul)",
     r"has no attribute 'uint(?:16|32|64)'|not implemented for '(?:Half|BFloat16)'"),
    ("test expects CPU tensors to be rejected", r"DID NOT RAISE"),
    ("num_warps=3 raises ValueError, test expects AssertionError", r"num_warps must be a power of 2"),
    ("Triton frontend CompilationError", r"triton\.compiler\.errors\.CompilationError"),
    ("VulkanError", r"VulkanError"),
    ("AssertionError (other)", r"^AssertionError"),
]


def classify(r):
    msg = r.get("msg", "") or ""
    text = r.get("text", "") or ""
    for name, rx in CLASSES:
        m = re.search(rx, msg, re.S)
        if m:
            return name, (m.group(1) if m.groups() else None)
    return "other: " + (msg.split(":")[0][:60] if msg else "(no message)"), None


def cmd_summarize(a):
    ids, res = load_results(a)
    all_ids = [i for i in open(os.path.join(a.results, "all_ids.txt")).read().split("\n") if i]
    tot = collections.Counter(res[i]["outcome"] for i in ids)
    per = collections.defaultdict(collections.Counter)
    coll = collections.Counter(func_of(i) for i in all_ids)
    for i in ids:
        per[func_of(i)][res[i]["outcome"]] += 1
    classes = collections.Counter()
    ops = collections.Counter()
    examples = {}
    xfail = []
    for i in ids:
        r = res[i]
        if r["outcome"] in ("failed", "error", "timeout", "crash"):
            c, op = classify(r)
            xfail.append(f"{i}: {c}")
            classes[c] += 1
            examples.setdefault(c, (i, r["msg"][:300]))
            if op:
                ops[op] += 1
                examples.setdefault("op:" + op, (i, r["msg"][:300]))
    ran = sum(tot[k] for k in ("passed", "failed", "error", "timeout", "crash", "xfailed", "xpassed"))
    out = {"collected": len(all_ids), "sampled": len(ids), "totals": dict(tot),
           "pass_rate_excl_skips": (tot["passed"] / ran if ran else None),
           "per_function": {f: dict(c) for f, c in per.items()}, "collected_per_function": dict(coll),
           "classes": dict(classes), "unsupported_ops": dict(ops), "examples": examples,
           "durations_total_s": round(sum(res[i].get("dur", 0) for i in ids), 1)}
    with open(os.path.join(a.results, "summary.json"), "w") as f:
        json.dump(out, f, indent=1)
    # The expected-failures list: one `node id: failure class` per test that did not pass.
    with open(os.path.join(a.results, "expected_failures.txt"), "w") as f:
        f.write("".join(x + "\n" for x in xfail))
    L = [f"collected {len(all_ids)}, sampled {len(ids)}", "totals: " + ", ".join(f"{k} {v}" for k, v in tot.most_common()),
         f"pass rate excluding skips (and not-run): {tot['passed']}/{ran} = {100 * tot['passed'] / ran:.1f}%" if ran else "",
         "", "| function | collected | sampled | passed | failed | skipped | error | timeout | crash | notrun |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for f, c in sorted(per.items(), key=lambda kv: -sum(kv[1].values())):
        L.append(f"| {f} | {coll[f]} | {sum(c.values())} | {c['passed']} | {c['failed']} | {c['skipped']} | {c['error']} | {c['timeout']} | {c['crash']} | {c['notrun']} |")
    L += ["", "| failure class | count | example |", "|---|---|---|"]
    for c, n in classes.most_common():
        L.append(f"| {c} | {n} | `{examples[c][0]}`: {examples[c][1][:160]!r} |")
    L += ["", "| unsupported op | count | example |", "|---|---|---|"]
    for o, n in ops.most_common():
        L.append(f"| {o} | {n} | `{examples['op:' + o][0]}` |")
    with open(os.path.join(a.results, "summary.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    print("\n".join(L))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["collect", "select", "run", "summarize"])
    up = os.environ.get("TVK_UPSTREAM_DIR", os.path.join(tempfile.gettempdir(), "upstream"))
    p.add_argument("--upstream", default=up, help="folder holding the fetched test file (pytest rootdir)")
    p.add_argument("--test-file", default=None, help="default: UPSTREAM/language/test_core.py")
    p.add_argument("--results", default=None, help="default: UPSTREAM/results")
    p.add_argument("--python", default=os.environ.get("TVK_UPSTREAM_PYTHON", sys.executable), help="python with triton==3.6.0, torch, numpy, pytest")
    p.add_argument("--tvk-python", default=os.environ.get("TVK_PYTHONPATH", "python"), help="folder that holds the triton_vulkan package")
    p.add_argument("--every", type=int, default=10)
    p.add_argument("--last", default="test_dot,test_dot3d",
                   help="select: functions run after all others (slow on CPU devices)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--budget", type=float, default=3000, help="seconds of wall clock for `run`")
    a = p.parse_args()
    a.test_file = a.test_file or os.path.join(a.upstream, "language", "test_core.py")
    a.results = a.results or os.path.join(a.upstream, "results")
    for k in ("upstream", "test_file", "results"):
        setattr(a, k, os.path.abspath(getattr(a, k)))
    {"collect": cmd_collect, "select": cmd_select, "run": cmd_run, "summarize": cmd_summarize}[a.command](a)


if __name__ == "__main__":
    main()
