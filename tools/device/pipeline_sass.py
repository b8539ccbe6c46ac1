"""Machine code of Vulkan pipelines, from the files TVK_PIPELINE_DUMP writes.

For each `<name>.cache` (a pipeline cache that held one pipeline) in DIR, find the machine code in
it and disassemble it with Triton's `nvdisasm` into `<name>.sass`; print an instruction-count
summary per kernel. Two layouts are known:
- NVIDIA's driver (seen on an H200 with its Vulkan 1.4 driver): a 100-byte cache header, then a
  zstd frame (decompressed with the zstandard module or the `zstd` command; the device machine
  has neither, so its .cache files are disassembled here) holding an "NVDANVVMNVuc" record whose u32 at 0x4C
  is the code's size and u32 at 0x50 its offset less 8; the code is raw SM instructions
  (`nvdisasm -b SM90`, or --sm);
- ELF images (cubins) anywhere in the data, sized by their headers.
A cache with neither is described (size, header bytes, compression magics seen).

  python3 tools/device/pipeline_sass.py DIR [--cuda TRITON_CACHE_DIR] [--sm SM90]

--cuda also disassembles the CUDA backend's cubins found under a Triton cache directory (same
summary, `<kernel>-<hash>.cuda.sass` in DIR), for comparing the two backends' code.
"""
import os
import re
import struct
import subprocess
import sys
from collections import Counter


def tool(name):
    """Triton's copy of an NVIDIA tool (its wheel ships nvdisasm and cuobjdump), else `name`."""
    try:
        import triton
    except ImportError:
        return name
    p = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin", name)
    return p if os.path.exists(p) else name


def elf_images(blob):
    """(offset, bytes) of each 64-bit little-endian ELF image in blob, sized by its headers."""
    out, i = [], 0
    while True:
        i = blob.find(b"\x7fELF", i)
        if i < 0:
            return out
        try:
            shoff, = struct.unpack_from("<Q", blob, i + 0x28)
            shentsize, shnum = struct.unpack_from("<HH", blob, i + 0x3A)
            phoff, = struct.unpack_from("<Q", blob, i + 0x20)
            phentsize, phnum = struct.unpack_from("<HH", blob, i + 0x36)
            end = max(shoff + shentsize * shnum, phoff + phentsize * phnum)
            for s in range(shnum):  # sections may lie after the section table
                base = i + shoff + s * shentsize
                off, size = struct.unpack_from("<QQ", blob, base + 0x18)
                typ, = struct.unpack_from("<I", blob, base + 4)
                if typ != 8:  # SHT_NOBITS has no bytes in the file
                    end = max(end, off + size)
            if 0 < end <= len(blob) - i:
                out.append((i, blob[i:i + end]))
        except struct.error:
            pass
        i += 4


def nvuc_code(blob):
    """The raw instructions of an NVIDIA driver cache entry (see the module doc), or None."""
    z = blob.find(b"\x28\xb5\x2f\xfd")
    if z < 0:
        return None
    try:
        import zstandard
        raw = zstandard.ZstdDecompressor().decompressobj().decompress(blob[z:])
    except ImportError:
        try:
            raw = subprocess.run(["zstd", "-d", "-c"], input=blob[z:], capture_output=True).stdout
        except FileNotFoundError:
            sys.exit("pipeline_sass.py: neither the zstandard module nor the zstd command is here: "
                     "bring the .cache files to a machine that has one (Debian's zstd package)")
    if not raw.startswith(b"NVDANVVMNVuc") or len(raw) < 0x54:
        return None
    size, off = struct.unpack_from("<II", raw, 0x4C)
    code = raw[off + 8:off + 8 + size]
    return code if len(code) == size else None


def disassemble(cubin_path, sm=None):
    if sm:
        r = subprocess.run([tool("nvdisasm"), "-b", sm, cubin_path], capture_output=True, text=True)
        return r.stdout if r.returncode == 0 and r.stdout.strip() else None
    for cmd in ([tool("nvdisasm"), "-c", cubin_path], [tool("cuobjdump"), "-sass", cubin_path]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.strip():
            return r.stdout
    return None


def summary(sass):
    ops = Counter()
    for line in sass.splitlines():
        m = re.match(r"\s*/\*[0-9a-f]+\*/\s+(@!?U?P\w+\s+)?([A-Z][A-Z0-9_.]*)", line)
        if m:
            ops[m.group(2).split(".")[0]] += 1
    return ops


def report(d, label, name, sass):
    """Writes `<name>.sass` in d and prints its instruction-count summary."""
    open(os.path.join(d, f"{name}.sass"), "w").write(sass)
    ops = summary(sass)
    top = ", ".join(f"{o} {c}" for o, c in ops.most_common(14))
    print(f"{label}{name}: {sum(ops.values())} instructions: {top}")


def main(d, sm):
    for f in sorted(os.listdir(d)):
        if not f.endswith(".cache"):
            continue
        blob = open(os.path.join(d, f), "rb").read()
        name = f[:-6]
        code = nvuc_code(blob)
        if code is not None:
            path = os.path.join(d, f"{name}.bin")
            open(path, "wb").write(code)
            sass = disassemble(path, sm)
            if sass is None:
                print(f"{name}: {len(code)} bytes of code: not disassembled as {sm}")
            else:
                report(d, "", name, sass)
            continue
        images = elf_images(blob)
        if not images:
            magics = {k: blob.count(v) for k, v in
                      {"zstd": b"\x28\xb5\x2f\xfd", "zlib": b"\x78\x9c", "lz4": b"\x04\x22\x4d\x18"}.items()}
            print(f"{name}: {len(blob)} bytes, no ELF image; header {blob[:64].hex()}; magics {magics}")
            continue
        for k, (off, img) in enumerate(images):
            path = os.path.join(d, f"{name}.{k}.cubin")
            open(path, "wb").write(img)
            sass = disassemble(path)
            if sass is None:
                print(f"{name}: ELF at {off}, {len(img)} bytes: not disassembled")
            else:
                report(d, "", f"{name}.{k}", sass)


def cuda(d, cache):
    for root, _, files in os.walk(cache):
        for f in files:
            if not f.endswith(".cubin"):
                continue
            sass = disassemble(os.path.join(root, f))
            if sass is not None:
                report(d, "CUDA ", f"{f[:-6]}-{os.path.basename(root)[:8]}.cuda", sass)


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--cuda", help="a Triton cache directory whose cubins are disassembled too")
    ap.add_argument("--sm", default="SM90", help="nvdisasm -b architecture of the driver's code")
    a = ap.parse_args()
    main(a.dir, a.sm)
    if a.cuda:
        cuda(a.dir, a.cuda)
