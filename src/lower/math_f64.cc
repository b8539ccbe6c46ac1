// f64 math in f64 arithmetic: GLSL.std.450's Exp, Log, Sin, ... take 16/32-bit floats only, and
// computing through f32 would keep 24 of the 53 bits that Triton's f64 math (libdevice) gives.
//
// Each function is a range reduction, a polynomial and a reconstruction, written out with
// add/mul/div, RoundEven and integer bit operations (no fused multiply-add is assumed: lavapipe's
// GLSL Fma rounds twice). Errors measured against mpmath (100-digit reference) on 3000-4000
// random arguments per range with a Python model of exactly these steps: exp, exp2 < 1.1 ulp;
// log < 0.51 ulp; log2 < 1.3 ulp; sin, cos < 1 ulp for |x| < 2^20·π/2, < 1.4 ulp beyond;
// erf < 2.2 ulp.
//
// Coefficients: kExp are 1/n!, kLogR 2/(2n+1), kSin/kCos the Taylor coefficients of sin and cos,
// kErfSmall the Taylor coefficients of erf; kErfcMid is a degree-20 Chebyshev fit (mpmath
// chebyfit) of erfc(x)·exp(x²)·x as a polynomial of u = 1/x - 5/12 over x in [1.5, 6]
// (relative error < 1e-18); kTwoOverPi holds the bits of 2/π after a zero word (mpmath).
#include <cmath>
#include <limits>

#include "lower/float_emit.h"

namespace tvk::lower {

namespace {

using spv::Op;

const std::vector<double> kExp = {
    0x1.0000000000000p+0, 0x1.0000000000000p+0, 0x1.0000000000000p-1, 0x1.5555555555555p-3,
    0x1.5555555555555p-5, 0x1.1111111111111p-7, 0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-13,
    0x1.a01a01a01a01ap-16, 0x1.71de3a556c734p-19, 0x1.27e4fb7789f5cp-22, 0x1.ae64567f544e4p-26,
    0x1.1eed8eff8d898p-29, 0x1.6124613a86d09p-33};
const std::vector<double> kLogR = {
    0x1.5555555555555p-1, 0x1.999999999999ap-2, 0x1.2492492492492p-2, 0x1.c71c71c71c71cp-3,
    0x1.745d1745d1746p-3, 0x1.3b13b13b13b14p-3, 0x1.1111111111111p-3, 0x1.e1e1e1e1e1e1ep-4,
    0x1.af286bca1af28p-4, 0x1.8618618618618p-4};
const std::vector<double> kSin = {
    -0x1.5555555555555p-3, 0x1.1111111111111p-7, -0x1.a01a01a01a01ap-13, 0x1.71de3a556c734p-19,
    -0x1.ae64567f544e4p-26, 0x1.6124613a86d09p-33, -0x1.ae7f3e733b81fp-41, 0x1.952c77030ad4ap-49};
const std::vector<double> kCos = {
    0x1.5555555555555p-5, -0x1.6c16c16c16c17p-10, 0x1.a01a01a01a01ap-16, -0x1.27e4fb7789f5cp-22,
    0x1.1eed8eff8d898p-29, -0x1.93974a8c07c9dp-37, 0x1.ae7f3e733b81fp-45, -0x1.6827863b97d97p-53};
const std::vector<double> kErfSmall = {
    0x1.20dd750429b6dp+0,  -0x1.812746b0379e7p-2,  0x1.ce2f21a042be2p-4,  -0x1.b82ce31288b51p-6,
    0x1.565bcd0e6a53fp-8,  -0x1.c02db40040b86p-11, 0x1.f9a326f9b89b7p-14, -0x1.f4d25c3e0c2ebp-17,
    0x1.b9e6c9dc651a3p-20, -0x1.5f742ec43e71ap-23, 0x1.fcc5720624c1cp-27, -0x1.51d7181c5d36dp-30,
    0x1.9e6ad5e55a730p-34, -0x1.d8453cb0c46eap-38, 0x1.f683ae4a97007p-42, -0x1.f56f071a885cfp-46,
    0x1.d70b3537f4765p-50, -0x1.a2007af3447f6p-54, 0x1.5f7919bc67b8cp-58, -0x1.18cc8a061c479p-62,
    0x1.ab5cc31489f29p-67, -0x1.3676fc48c133cp-71, 0x1.af83c2fb19fa6p-76, -0x1.1f690c2b2753ap-80,
    0x1.6f928977a0028p-85, -0x1.c40abff27ce65p-90};
const std::vector<double> kErfcMid = {
    0x1.0c7dc23b757c7p-1,  -0x1.445591ab6948cp-3, -0x1.23463702a104ap-4, 0x1.4289bde312032p-3,
    -0x1.ea257406b7a0fp-4, 0x1.4bbd2994ffaa8p-9,  0x1.08369e04d8c26p-3,  -0x1.a15095e28f902p-3,
    0x1.521a98705637dp-3,  0x1.2bc887e52b6a0p-8,  -0x1.0c9432ffacfcdp-2, 0x1.fc7cf12d621b9p-2,
    -0x1.169b58b667216p-1, 0x1.ebbd02253c859p-3,  0x1.ee40423510626p-2,  -0x1.735818332ececp+0,
    0x1.3010e624669fdp+1,  -0x1.8ea45722b82cdp+1, 0x1.1462442d9ab5cp+0,  0x1.0dd0a8d700cbep+3,
    -0x1.a58f5f289f429p+3};
const uint64_t kTwoOverPi[22] = {
    0x0000000000000000ull, 0xa2f9836e4e441529ull, 0xfc2757d1f534ddc0ull, 0xdb6295993c439041ull,
    0xfe5163abdebbc561ull, 0xb7246e3a424dd2e0ull, 0x06492eea09d1921cull, 0xfe1deb1cb129a73eull,
    0xe88235f52ebb4484ull, 0xe99c7026b45f7e41ull, 0x3991d639835339f4ull, 0x9c845f8bbdf9283bull,
    0x1ff897ffde05980full, 0xef2f118b5a0a6d1full, 0x6d367ecf27cb09b7ull, 0x4f463f669e5fea2dull,
    0x7527bac7ebe5f17bull, 0x3d0739f78a5292eaull, 0x6bfb5fb11f8d5d08ull, 0x56033046fc7b6babull,
    0xf0cfbc209af4361dull, 0xa9e391615ee61b08ull};

const double kLn2 = 0x1.62e42fefa39efp-1, kInvLn2 = 0x1.71547652b82fep+0;
// ln 2 = kLn2Hi + kLn2Lo; kLn2Hi has 32 significant bits (k × kLn2Hi is exact for |k| < 2^21).
const double kLn2Hi = 0x1.62e42fee00000p-1, kLn2Lo = 0x1.a39ef35793c76p-33;
const double kTwoOverPiF = 0x1.45f306dc9c883p-1;
// π/2 = kPio2_1 + kPio2_2 + kPio2_3 (33 + 33 + 53 bits), and as kPio2H + kPio2L.
const double kPio2_1 = 0x1.921fb54400000p+0, kPio2_2 = 0x1.0b4611a600000p-34,
             kPio2_3 = 0x1.3198a2e037073p-69;
const double kPio2H = 0x1.921fb54442d18p+0, kPio2L = 0x1.1a62633145c07p-54;
// Below this |x| sin/cos reduce with kPio2_1..3 (|k| < 2^20), above with the bits of 2/π.
const double kCodyWaiteLimit = 1647099.3291652855;
const uint64_t kFrac = (1ull << 52) - 1;
const double kInf = std::numeric_limits<double>::infinity();

struct F64 : FloatEmit {
  Id i32;  // 32-bit integer type

  Id ki(uint32_t v) { return c.b.constInt(i32, v); }
  Id cmpU(Op op, Id x, Id y) { return c.b.emit(op, c.boolean(), {x, y}); }

  // 2^k for integer k in [-1022, 1023] (i32 register).
  Id pow2(Id k) {
    Id biased = i(Op::OpIAdd, {k, ki(1023)}, i32);
    Id wide = c.b.emit(Op::OpUConvert, u, {biased});
    return fromBits(i(Op::OpShiftLeftLogical, {wide, ku(52)}));
  }

  // e^r × 2^k for |r| <= ln2/2 and integer-valued k in [-1075, 1024]: two exact scalings, so a
  // subnormal result is rounded once.
  Id expScaled(Id r, Id k) {
    Id p = horner(r, kExp);
    Id ki32 = c.b.emit(Op::OpConvertFToS, i32, {k});
    Id k1 = i(Op::OpShiftRightArithmetic, {ki32, ki(1)}, i32);
    Id k2 = i(Op::OpISub, {ki32, k1}, i32);
    return mul(mul(p, pow2(k1)), pow2(k2));
  }

  // e^x without the special cases (x in [-745.2, 709.8]).
  Id expFinite(Id x) {
    Id kk = glsl(GLSLstd450RoundEven, {mul(x, k(kInvLn2))});
    Id r = sub(sub(x, mul(kk, k(kLn2Hi))), mul(kk, k(kLn2Lo)));
    return expScaled(r, kk);
  }

  Id exp(Id x) {
    Id over = cmp(Op::OpFOrdGreaterThan, x, k(709.782712893384));
    Id under = cmp(Op::OpFOrdLessThan, x, k(-745.1332191019412));
    Id ok = c.b.emit(Op::OpLogicalNot, c.boolean(), {lor(lor(over, under), isNan(x))});
    Id r = expFinite(sel(ok, x, k(0.0)));
    r = sel(over, k(kInf), r);
    r = sel(under, k(0.0), r);
    return sel(isNan(x), x, r);
  }

  Id exp2(Id x) {
    Id over = cmp(Op::OpFOrdGreaterThanEqual, x, k(1024.0));
    Id under = cmp(Op::OpFOrdLessThan, x, k(-1075.0));
    Id ok = c.b.emit(Op::OpLogicalNot, c.boolean(), {lor(lor(over, under), isNan(x))});
    Id xs = sel(ok, x, k(0.0));
    Id kk = glsl(GLSLstd450RoundEven, {xs});
    Id r = mul(sub(xs, kk), k(kLn2));  // x - k is exact
    r = expScaled(r, kk);
    r = sel(over, k(kInf), r);
    r = sel(under, k(0.0), r);
    return sel(isNan(x), x, r);
  }

  // log x = e ln2 + log(1 + f) for finite x > 0: x = 2^e × m, m = 1 + f in [√2/2, √2];
  // log(1 + f) = f - (hfsq - s (hfsq + R)) with s = f / (2 + f), hfsq = f²/2,
  // R = 2s²/3 + 2s⁴/5 + ... . Returns {e, f, hfsq - s (hfsq + R) pieces} as {e, f, hfsq, sR}.
  struct LogParts {
    Id e, f, hfsq, shr;  // shr = s × (hfsq + R)
  };
  LogParts logParts(Id x) {
    Id tiny = cmp(Op::OpFOrdLessThan, x, k(0x1p-1022));
    Id xs = sel(tiny, mul(x, k(0x1p54)), x);
    Id adj = sel(tiny, k(-54.0), k(0.0));
    Id b = bits(xs);
    Id field = i(Op::OpShiftRightLogical, {b, ku(52)});
    Id fr = i(Op::OpBitwiseAnd, {b, ku(kFrac)});
    Id big = cmpU(Op::OpUGreaterThan, fr, ku(0x6a09e667f3bcdull));  // m > √2: use m / 2
    Id m = fromBits(i(Op::OpBitwiseOr, {fr, sel(big, ku(1022ull << 52), ku(1023ull << 52), u)}));
    Id e = sub(c.b.emit(Op::OpConvertUToF, t, {field}), sel(big, k(1022.0), k(1023.0)));
    e = add(e, adj);
    Id f = sub(m, k(1.0));
    Id s = div(f, add(k(2.0), f));
    Id z = mul(s, s);
    Id R = mul(z, horner(z, kLogR));
    Id hfsq = mul(mul(k(0.5), f), f);
    return {e, f, hfsq, mul(s, add(hfsq, R))};
  }

  // Shared special cases of log and log2.
  Id logSpecials(Id x, Id r) {
    r = sel(cmp(Op::OpFOrdEqual, x, k(kInf)), x, r);
    r = sel(cmp(Op::OpFOrdEqual, x, k(0.0)), k(-kInf), r);
    r = sel(cmp(Op::OpFOrdLessThan, x, k(0.0)), c.b.constFloatBits(t, 0x7ff8000000000000ull), r);
    return sel(isNan(x), x, r);
  }

  Id validLogArg(Id x) {
    Id ok = land(cmp(Op::OpFOrdGreaterThan, x, k(0.0)), cmp(Op::OpFOrdLessThan, x, k(kInf)));
    return sel(ok, x, k(1.0));
  }

  Id log(Id x) {
    LogParts p = logParts(validLogArg(x));
    Id lo = sub(p.hfsq, add(p.shr, mul(p.e, k(kLn2Lo))));
    Id r = add(mul(p.e, k(kLn2Hi)), sub(p.f, lo));
    return logSpecials(x, r);
  }

  Id log2(Id x) {
    LogParts p = logParts(validLogArg(x));
    Id r = add(p.e, mul(sub(p.f, sub(p.hfsq, p.shr)), k(kInvLn2)));
    return logSpecials(x, r);
  }

  // x = q π/2 + r + tail, |r| <= π/4 (about), q mod 4 as an i32.
  struct Reduced {
    Id q, r, tail;
  };

  // |x| < kCodyWaiteLimit: k = round(x 2/π) and x - k π/2 with π/2 in three parts.
  Reduced reduceSmall(Id x) {
    Id kk = glsl(GLSLstd450RoundEven, {mul(x, k(kTwoOverPiF))});
    Id t1 = sub(x, mul(kk, k(kPio2_1)));
    Id w = mul(kk, k(kPio2_2));
    Id hi = sub(t1, w);
    Id err = sub(sub(t1, hi), w);
    Id w3 = sub(err, mul(kk, k(kPio2_3)));
    Id r = add(hi, w3);
    Id tail = add(sub(hi, r), w3);
    Id q = i(Op::OpBitwiseAnd, {c.b.emit(Op::OpConvertFToS, i32, {kk}), ki(3)}, i32);
    return {q, r, tail};
  }

  // The table of 2/π's bits (a Private array, made once per kernel).
  Id twoOverPiTable() {
    Id& var = c.moduleIds["f64.twoOverPi"];
    if (var) return var;
    std::vector<Id> words;
    for (uint64_t w : kTwoOverPi) words.push_back(ku(w));
    Id arrT = c.b.typeArray(u, static_cast<uint32_t>(words.size()));
    var = c.b.globalVariable(c.b.typePointer(spv::StorageClass::Private, arrT),
                             spv::StorageClass::Private, c.b.constComposite(arrT, words));
    return var;
  }

  Id word(Id index) {
    Id p = c.b.emit(Op::OpAccessChain, c.b.typePointer(spv::StorageClass::Private, u),
                    {twoOverPiTable(), index});
    return c.b.emit(Op::OpLoad, u, {p});
  }

  // Large |x| (>= kCodyWaiteLimit, finite, positive `ax`): x = M 2^E (M: 53-bit integer). Bits of
  // 2/π above 2^-(E-2) only add multiples of 4 to x 2/π, so a 192-bit window w of 2/π from bit
  // E-1 on gives x 2/π mod 4 = M w 2^-190 (up to 2^-130): the quadrant is bits 190-191 of M w,
  // the fraction the 128 bits below, rounded to the nearest quadrant and times π/2.
  Reduced reduceLarge(Id ax) {
    auto& b = c.b;
    Id bx = bits(ax);
    Id field = b.emit(Op::OpUConvert, i32, {i(Op::OpShiftRightLogical, {bx, ku(52)})});
    Id pos = i(Op::OpISub, {field, ki(1013)}, i32);  // table bit index of 2/π's bit E-1
    Id m = i(Op::OpBitwiseOr, {i(Op::OpBitwiseAnd, {bx, ku(kFrac)}), ku(1ull << 52)});
    Id q0 = i(Op::OpShiftRightLogical, {pos, ki(6)}, i32);
    Id sh = i(Op::OpBitwiseAnd, {pos, ki(63)}, i32);
    Id shNone = cmpU(Op::OpIEqual, sh, ki(0));
    Id back = i(Op::OpISub, {ki(64), sh}, i32);
    std::vector<Id> tw;
    for (uint32_t j = 0; j < 4; ++j) tw.push_back(word(i(Op::OpIAdd, {q0, ki(j)}, i32)));
    std::vector<Id> win;  // most significant first
    for (int j = 0; j < 3; ++j) {
      Id hi = i(Op::OpShiftLeftLogical, {tw[j], sh});
      Id lo = sel(shNone, ku(0), i(Op::OpShiftRightLogical, {tw[j + 1], back}), u);
      win.push_back(i(Op::OpBitwiseOr, {hi, lo}));
    }
    Id st = b.typeStructShared({u, u});
    auto mulx = [&](Id w, Id& hi, Id& lo) {
      Id r = b.emit(Op::OpUMulExtended, st, {m, w});
      lo = b.emit(Op::OpCompositeExtract, u, {r, 0});
      hi = b.emit(Op::OpCompositeExtract, u, {r, 1});
    };
    Id h0, l0, h1, l1, h2, l2;
    mulx(win[2], h0, l0);
    mulx(win[1], h1, l1);
    mulx(win[0], h2, l2);
    (void)h2;
    Id w1 = i(Op::OpIAdd, {h0, l1});
    Id carry = sel(cmpU(Op::OpULessThan, w1, h0), ku(1), ku(0), u);
    Id w2 = i(Op::OpIAdd, {i(Op::OpIAdd, {h1, l2}), carry});
    Id q = b.emit(Op::OpUConvert, i32, {i(Op::OpShiftRightLogical, {w2, ku(62)})});
    Id fhi = i(Op::OpBitwiseOr, {i(Op::OpShiftLeftLogical, {w2, ku(2)}),
                                 i(Op::OpShiftRightLogical, {w1, ku(62)})});
    Id flo = i(Op::OpBitwiseOr, {i(Op::OpShiftLeftLogical, {w1, ku(2)}),
                                 i(Op::OpShiftRightLogical, {l0, ku(62)})});
    // A fraction >= 1/2 belongs to the next quadrant: fhi read as signed is then frac - 1.
    Id upper = cmpU(Op::OpUGreaterThanEqual, fhi, ku(1ull << 63));
    q = i(Op::OpIAdd, {q, sel(upper, ki(1), ki(0), i32)}, i32);
    // y = (fhi + flo 2^-64) 2^-64 as yh + yl: fhi's top 53 bits convert exactly.
    Id top = i(Op::OpBitwiseAnd, {fhi, ku(~0x7ffull)});
    Id rest = i(Op::OpBitwiseAnd, {fhi, ku(0x7ff)});
    Id A = mul(b.emit(Op::OpConvertSToF, t, {top}), k(0x1p-64));
    Id B = mul(add(b.emit(Op::OpConvertUToF, t, {rest}),
                   mul(b.emit(Op::OpConvertUToF, t, {flo}), k(0x1p-64))),
               k(0x1p-64));
    Id yh = add(A, B);
    Id yl = add(sub(A, yh), B);
    Id cc = add(mul(yh, k(kPio2L)), mul(yl, k(kPio2H)));
    Id ph = mul(yh, k(kPio2H));
    Id r = add(ph, cc);
    Id tail = add(sub(ph, r), cc);
    return {i(Op::OpBitwiseAnd, {q, ki(3)}, i32), r, tail};
  }

  Reduced reduce(Id x) {
    Id ax = glsl(GLSLstd450FAbs, {x});
    Id large = cmp(Op::OpFOrdGreaterThanEqual, ax, k(kCodyWaiteLimit));
    Reduced s = reduceSmall(sel(large, k(0.0), x));
    // Finite arguments only (inf and NaN are replaced by a large finite value here).
    Id finite = cmp(Op::OpFOrdLessThan, ax, k(kInf));
    Reduced l = reduceLarge(sel(land(large, finite), ax, k(0x1p40)));
    Id neg = cmp(Op::OpFOrdLessThan, x, k(0.0));
    Id lq = sel(neg, i(Op::OpBitwiseAnd, {i(Op::OpSNegate, {l.q}, i32), ki(3)}, i32), l.q, i32);
    Id lr = sel(neg, this->neg(l.r), l.r), lt = sel(neg, this->neg(l.tail), l.tail);
    return {sel(large, lq, s.q, i32), sel(large, lr, s.r), sel(large, lt, s.tail)};
  }

  // sin and cos of x; `wantSin` picks which.
  Id sinCos(Id x, bool wantSin) {
    Reduced rd = reduce(x);
    Id r = rd.r, z = mul(r, r);
    Id half = mul(k(0.5), z);
    Id s = add(r, add(mul(mul(r, z), horner(z, kSin)), mul(rd.tail, sub(k(1.0), half))));
    Id co = sub(k(1.0), sub(half, sub(mul(mul(z, z), horner(z, kCos)), mul(rd.tail, r))));
    // sin: q = 0..3 → s, c, -s, -c; cos: c, -s, -c, s.
    Id odd = cmpU(Op::OpINotEqual, i(Op::OpBitwiseAnd, {rd.q, ki(1)}, i32), ki(0));
    Id q = wantSin ? rd.q : i(Op::OpIAdd, {rd.q, ki(1)}, i32);
    Id negate = cmpU(Op::OpINotEqual, i(Op::OpBitwiseAnd, {q, ki(2)}, i32), ki(0));
    Id v = wantSin ? sel(odd, co, s) : sel(odd, s, co);
    v = sel(negate, neg(v), v);
    Id tiny = cmp(Op::OpFOrdLessThan, glsl(GLSLstd450FAbs, {x}), k(0x1p-27));
    v = sel(tiny, wantSin ? x : k(1.0), v);
    Id bad = lor(isNan(x), cmp(Op::OpFOrdEqual, glsl(GLSLstd450FAbs, {x}), k(kInf)));
    return sel(bad, c.b.constFloatBits(t, 0x7ff8000000000000ull), v);
  }

  // erf: x P(x²) below 1.5; 1 - erfc above, erfc(x) = e^(-x²) kErfcMid(1/x - 5/12) / x with
  // e^(-x²) = e^(-xh²) e^(-d) (xh: x's top 26 bits, xh² exact; d = x² - xh² is below 2^-19);
  // ±1 from 6 on (erfc(6) < 2^-55).
  Id erf(Id x) {
    Id ax = glsl(GLSLstd450FAbs, {x});
    Id small = mul(x, horner(mul(x, x), kErfSmall));
    Id xm = glsl(GLSLstd450NClamp, {ax, k(1.5), k(6.0)});
    Id xh = fromBits(i(Op::OpBitwiseAnd, {bits(xm), ku(~((1ull << 27) - 1))}));
    Id xl = sub(xm, xh);
    Id d = mul(xl, add(xm, xh));
    Id ed = add(sub(k(1.0), d), mul(mul(k(0.5), d), d));
    Id e = mul(expFinite(neg(mul(xh, xh))), ed);
    Id tt = div(k(1.0), xm);
    Id erfc = mul(mul(e, horner(sub(tt, k(5.0 / 12.0)), kErfcMid)), tt);
    Id mid = sub(k(1.0), erfc);
    mid = sel(cmp(Op::OpFOrdGreaterThanEqual, ax, k(6.0)), k(1.0), mid);
    mid = sel(cmp(Op::OpFOrdLessThan, x, k(0.0)), neg(mid), mid);
    Id r = sel(cmp(Op::OpFOrdLessThan, ax, k(1.5)), small, mid);
    return sel(isNan(x), x, r);
  }
};

}  // namespace

Result<Id> f64Math(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  const std::string& name = op.name;
  static const char* kOwn[] = {"math.exp", "math.exp2", "math.log", "math.log2",
                               "math.sin", "math.cos", "math.erf"};
  bool own = false;
  for (const char* n : kOwn) own = own || name == n;
  if (!own) return c.unsupported(op, "on f64 (no f64 implementation; GLSL.std.450 has it for 16/32-bit floats only)");
  auto u = c.regType(ir::Type::i(64));
  if (!u.ok()) return c.unsupported(op, "on f64 without 64-bit integers");
  F64 f{{c, *t, *u, /*precise=*/true}, c.u32()};
  Id x = a[0];
  if (name == "math.exp") return f.exp(x);
  if (name == "math.exp2") return f.exp2(x);
  if (name == "math.log") return f.log(x);
  if (name == "math.log2") return f.log2(x);
  if (name == "math.sin") return f.sinCos(x, true);
  if (name == "math.cos") return f.sinCos(x, false);
  return f.erf(x);
}

}  // namespace tvk::lower
