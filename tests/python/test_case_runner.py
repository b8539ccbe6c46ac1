"""The case runner itself: every builder of kernels_public.py matches its captured case, and the
comparison accepts the captured outputs and rejects perturbed ones."""
import numpy as np
import pytest

import case_runner


@pytest.mark.parametrize("name", case_runner.case_names())
def test_builder_matches_case(triton_vk, torch, name):
    launch, storages, case = case_runner.build(name, lambda t: t)
    buffers = [a["python_name"] for a in case["args"] if a["kind"] == "buffer"]
    assert sorted(storages) == sorted(buffers)
    # The captured outputs compare clean against themselves; inputs of written buffers don't.
    outs = {a["python_name"]: (a["out"] if a["out"] is not None else a["in"]) for a in case["args"]
            if a["kind"] == "buffer"}
    assert case_runner.compare(case, outs) == []


def test_compare_rejects_wrong_results():
    case = case_runner.load_case("softmax")
    out = next(a for a in case["args"] if a.get("out") is not None)
    bad = {a["python_name"]: (a["out"] if a["out"] is not None else a["in"]).copy()
           for a in case["args"] if a["kind"] == "buffer"}
    bad[out["python_name"]].reshape(-1)[5] += 1e-3
    errs = case_runner.compare(case, bad)
    assert len(errs) == 1 and "1 of" in errs[0] and "first at 5" in errs[0]
    inp = next(a for a in case["args"] if a["kind"] == "buffer" and a.get("out") is None)
    bad2 = {a["python_name"]: (a["out"] if a["out"] is not None else a["in"]).copy()
            for a in case["args"] if a["kind"] == "buffer"}
    bad2[inp["python_name"]].reshape(-1)[0] = np.nan
    assert any("must stay unchanged" in e for e in case_runner.compare(case, bad2))


def test_decode_fp8_and_bf16():
    e5 = np.array([0x3C, 0xBC, 0x7C, 0x01], dtype=np.uint8)  # 1, -1, inf, smallest subnormal
    assert list(case_runner.decode(e5, "float8_e5m2")) == [1.0, -1.0, np.inf, 2.0 ** -16]
    e4 = np.array([0x38, 0xB8, 0x7F, 0x01, 0x7E], dtype=np.uint8)  # 1, -1, nan, 2^-9, 448
    d = case_runner.decode(e4, "float8_e4m3fn")
    assert d[0] == 1 and d[1] == -1 and np.isnan(d[2]) and d[3] == 2.0 ** -9 and d[4] == 448
    bf = np.array([0x3F80, -0x4080], dtype=np.int16)  # 1.0, -1.0
    assert list(case_runner.decode(bf, "bfloat16")) == [1.0, -1.0]
