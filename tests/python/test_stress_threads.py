"""Several Python threads launching, allocating, freeing and synchronizing on one device and on
two logical devices at once (short version; tools/stress/run_stress.py runs it many times)."""
import stress_threads


def test_threads_share_devices(tv, torch, tmp_path):
    import case_runner
    ttir = (case_runner.CASES / "add_f32" / "kernel.ttir").read_text()
    errors = stress_threads.run(tv, torch, tmp_path, threads=6, rounds=24, ttir=ttir)
    assert not errors, "\n".join(errors[:20])
