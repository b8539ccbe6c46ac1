"""`.to(T, bitcast=True)` between narrow types of the same width (lower/int_ops.cc bitcast):
uint8 <-> int8 and uint16 <-> int16 are the same TTIR type (i8 -> i8), f16 <-> bf16 goes through
the 16-bit code. Every code must come back bit for bit."""
import numpy as np
import pytest


@pytest.fixture(scope="module")
def cast(triton_vk):
    tl = triton_vk.language

    @triton_vk.jit
    def k(X, Z, T: tl.constexpr, BLOCK: tl.constexpr):
        o = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
        tl.store(Z + o, tl.load(X + o).to(T, bitcast=True))
    return k


@pytest.mark.parametrize("src,dst", [("uint8", "int8"), ("int8", "uint8"), ("int16", "uint16"),
                                     ("uint16", "int16")])
def test_integer_sign_bitcast(cast, torch, triton_vk, src, dst):
    bits = np.dtype(src).itemsize * 8
    codes = np.resize(np.arange(1 << bits, dtype=np.int64)[::max(1, (1 << bits) // 1024)], 1024)
    x = codes.astype(np.dtype(src))
    tsrc = torch.from_numpy(x.view(np.dtype(src.replace("u", ""))))  # torch 1.13 lacks uint16
    z = torch.zeros(1024, dtype=tsrc.dtype)
    cast[(4,)](tsrc, z, getattr(triton_vk.language, dst), BLOCK=256)
    assert np.array_equal(z.numpy().view(np.dtype(dst)), x.view(np.dtype(dst)))


def test_f16_bf16_bitcast_round_trip(cast, torch, triton_vk):
    codes = np.arange(0, 1 << 16, 64, dtype=np.uint16)  # 1024 codes, incl. inf/NaN/subnormals
    # NaN codes of either type left out: their payloads need not survive the f32 registers.
    codes = codes[((codes & 0x7F80) != 0x7F80) & (((codes & 0x7C00) != 0x7C00) | ((codes & 0x3FF) == 0))]
    n = len(codes) // 256 * 256
    h = torch.from_numpy(codes[:n].view(np.float16).copy())
    b = torch.zeros(n, dtype=torch.bfloat16)
    cast[(n // 256,)](h, b, triton_vk.language.bfloat16, BLOCK=256)
    assert np.array_equal(b.view(torch.int16).numpy().view(np.uint16), codes[:n])
    back = torch.zeros(n, dtype=torch.float16)
    cast[(n // 256,)](b, back, triton_vk.language.float16, BLOCK=256)
    assert np.array_equal(back.view(torch.int16).numpy().view(np.uint16), codes[:n])
