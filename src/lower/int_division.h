// 32-bit integer division by a divisor known only at run time, through its reciprocal.
//
// A driver expands each OpSDiv/OpUDiv on its own: NVIDIA's Vulkan driver spends about 20
// instructions on one (two float estimates, each converted both ways). A kernel divides many
// elements by one divisor (`offs % D`), so the reciprocal is worth computing once:
//   setup, once per divisor:  m = floor(2^32 / d) or a little less (a float estimate scaled
//                             down so that it never overshoots, then one Newton step in
//                             integers, m += umulhi(m, -d * m), which keeps it below 2^32 / d);
//   per dividend n:           q = umulhi(n, m), r = n - q * d, then while r >= d: r -= d, q += 1.
// Bounds (n, d < 2^32): the estimate is within 2^-19.4 of 2^32 / d in relative terms and
// truncated, so after the Newton step 2^32 / d - m < 2^32/d * 2^-38.8 + d / 2^32 + 1 < 2.01;
// hence n / d - n * m / 2^32 < 2.01 * n / 2^32 and q undershoots floor(n / d) by at most
// 3 (n < 2^32) or 2 (n <= 2^31, the magnitude of a signed dividend): that many corrections.
// Signed operands divide magnitudes (the quotient negated when the signs differ, the
// remainder taking the dividend's sign, truncating as C and arith.divsi/remsi do).
// Divisor 0 (undefined in Triton, as in C): the quotient is all ones and the remainder the
// dividend, as NVIDIA's driver gives for OpUDiv.
// Compile-time constant divisors keep OpSDiv/OpUDiv, which drivers turn into a multiply by a
// constant.
#pragma once

#include "lower/context.h"

namespace tvk::lower {

/// A 32-bit divisor's reciprocal, emitted where it is constructed (it must dominate every
/// divide() that uses it: the same block, earlier).
class Divider {
 public:
  /// `d`: a 32-bit register (for narrow types the caller extends it: sign for `isSigned`,
  /// zero otherwise).
  Divider(Context& c, Id d, bool isSigned);
  struct Result {
    Id quotient = 0;
    Id remainder = 0;
  };
  /// x / d and x % d (each only when asked for: 0 otherwise).
  Result divide(Id x, bool wantQuotient, bool wantRemainder);

 private:
  Id umulhi(Id a, Id b);
  Context& c_;
  Id d_;
  bool signed_;
  Id magnitude_;  // |d| (d unsigned)
  Id reciprocal_; // m
  Id zero_;       // d == 0
};

/// True when `divisor` is a compile-time constant (an arith.constant): left to the driver.
bool constantDivisor(const ir::Value* divisor);

}  // namespace tvk::lower
