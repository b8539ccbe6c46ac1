"""Several Python threads launching, allocating, freeing and synchronizing on one device and on
two logical devices at once (short version; tools/stress/run_stress.py runs it many times)."""
import os

import stress_threads


def test_threads_share_devices(tv, torch, tmp_path):
    import case_runner
    ttir = (case_runner.CASES / "add_f32" / "kernel.ttir").read_text()
    threads = int(os.environ.get("TVK_STRESS_THREADS", "6"))  # tools/stress/run_stress.py sets these
    rounds = int(os.environ.get("TVK_STRESS_ROUNDS", "24"))
    errors = stress_threads.run(tv, torch, tmp_path, threads=threads, rounds=rounds, ttir=ttir)
    assert not errors, "\n".join(errors[:20])
