"""Rewrites expected_failures.txt from a run of every Triton case on the current Vulkan device:
cases that fail with a clear triton_vulkan error are listed with that error as the reason.
Cases with wrong results are printed and NOT listed (a wrong result is a bug, never expected).

    PYTHONPATH=python .venv/bin/python tests/python/update_expected_failures.py [--dry-run]
"""
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "python"))

import case_runner  # noqa: E402


def main():
    from triton.backends import backends, Backend
    import triton_vulkan as tv
    if "vulkan" not in backends:
        from triton_vulkan.backend.compiler import VulkanBackend
        from triton_vulkan.backend.driver import VulkanDriver
        backends["vulkan"] = Backend(compiler=VulkanBackend, driver=VulkanDriver)
    tv.activate()
    failing, wrong = {}, []
    for name in case_runner.case_names():
        try:
            launch, storages, case = case_runner.build(name, tv.from_torch)
            launch()
            tv.synchronize()
            errs = case_runner.compare(case, {k: v.numpy() for k, v in storages.items()})
            if errs:
                wrong.append(f"{name}: {errs[0]}")
            print(f"{name}: {'WRONG' if errs else 'pass'}")
        except tv.VulkanError as e:
            msg = re.sub(r" at /\S*/([\w.]+):", r" at \1:", str(e).splitlines()[0])
            failing[name] = msg
            print(f"{name}: {msg}")
    head = [l for l in (HERE / "expected_failures.txt").read_text().splitlines() if l.startswith("#")]
    text = "\n".join(head + [f"{k}: {v}" for k, v in sorted(failing.items())]) + "\n"
    if "--dry-run" not in sys.argv:
        (HERE / "expected_failures.txt").write_text(text)
    if wrong:
        print("WRONG RESULTS (not listed; fix them):\n  " + "\n  ".join(wrong))
        sys.exit(1)


if __name__ == "__main__":
    main()
