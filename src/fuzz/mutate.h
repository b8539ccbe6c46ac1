// Deterministic text mutations of TTIR for the fuzz driver (tvk_fuzz): byte flips, integer
// tokens replaced by boundary values, line deletion/duplication/swaps, splices of two inputs,
// type-name swaps, dropped operands and renamed ops. Pure functions of their inputs and an
// explicit random generator, so that a (seed, iteration) pair always gives the same input.
//
// Example: mutateOnce("%1 = arith.addi %a, %b : i32", "", rng, Mutation::IntToken) may give
// "%1 = arith.addi %a, %b : i2147483648".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tvk::fuzz {

/// splitmix64: a small, portable, deterministic generator (the standard library's
/// distributions differ between libstdc++ and libc++, so none are used).
class Rng {
 public:
  /// A generator whose sequence depends only on `seed`.
  explicit Rng(uint64_t seed) : state_(seed) {}
  /// The next 64 random bits.
  uint64_t next();
  /// A value in [0, n) (0 when n is 0).
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  /// True with probability num/den.
  bool chance(uint64_t num, uint64_t den) { return below(den) < num; }

 private:
  uint64_t state_;
};

/// Mixes a campaign seed and an iteration number into one generator seed.
uint64_t iterationSeed(uint64_t seed, uint64_t iteration);

/// The kinds of mutation, in the order of mutationName().
enum class Mutation {
  ByteFlip,       ///< one byte set to a random or syntax-relevant character
  DeleteBytes,    ///< a short run of bytes removed
  IntToken,       ///< an integer token replaced by a boundary value (0, -1, 2^31, 2^63, ...)
  HexToken,       ///< a `0x...` token replaced by other hex digits (constants, dense blobs)
  DeleteLine,     ///< one line removed
  DuplicateLine,  ///< one line repeated
  SwapLines,      ///< two lines exchanged
  Splice,         ///< a run of lines of the other input inserted or substituted
  TypeName,       ///< a type spelling (`i32`, `f16`, ...) replaced by another
  ShapeDims,      ///< a `tensor<AxB...>` shape given more, fewer or other dimensions
  DropOperand,    ///< one `%value` operand removed from an operand list
  SwapValue,      ///< one `%value` use replaced by another value name of the input
  OpName,         ///< an op name replaced by another op name
  kCount
};

/// Stable name of a mutation kind (for logs and tests).
const char* mutationName(Mutation m);

/// Applies mutation `m` to `input` (`other` feeds Splice; may be empty). Returns `input`
/// unchanged when the mutation finds nothing to act on.
std::string mutateOnce(const std::string& input, const std::string& other, Rng& rng, Mutation m);

/// Applies 1..maxStack random mutations in a row (the kinds are drawn from `rng`).
std::string mutate(const std::string& input, const std::string& other, Rng& rng, int maxStack = 4);

/// Boundary values that integer tokens are replaced with (as text: some exceed 64 bits).
const std::vector<std::string>& interestingIntegers();

}  // namespace tvk::fuzz
