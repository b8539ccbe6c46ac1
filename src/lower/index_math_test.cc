// Typed index arithmetic (lower/index_math.h): each operator emits exactly its one instruction
// (in the order the expression is sequenced), times(1), plus(0) and xorWith(0) emit nothing,
// comparisons give bools.
#include "lower/index_math.h"

#include <gtest/gtest.h>

#include <vector>

namespace tvk::lower {
namespace {

using spirv::Id;

// Opcodes of the function body's instructions (after OpFunction and OpLabel), in order.
std::vector<spv::Op> bodyOps(const std::vector<uint32_t>& w) {
  std::vector<spv::Op> ops;
  bool inBody = false;
  for (size_t i = 5; i < w.size() && (w[i] >> 16); i += w[i] >> 16) {
    const auto op = static_cast<spv::Op>(w[i] & 0xffff);
    if (op == spv::Op::OpLabel) {
      inBody = true;
      continue;
    }
    if (inBody && op != spv::Op::OpReturn && op != spv::Op::OpFunctionEnd) ops.push_back(op);
  }
  return ops;
}

struct Fixture {
  spirv::ModuleBuilder b{0x00010300};
  Id x = 0;
  Fixture() {
    Id v = b.typeVoid();
    b.beginFunction(b.newId(), v, b.typeFunction(v, {}));
    Id u = b.typeInt(32);
    x = b.emit(spv::Op::OpCopyObject, u, {b.u32(7)});
  }
  std::vector<spv::Op> finish() {
    b.emitVoid(spv::Op::OpReturn, {});
    b.endFunction();
    std::vector<spv::Op> ops = bodyOps(b.finish());
    ops.erase(ops.begin());  // the OpCopyObject of x
    return ops;
  }
};

TEST(Index, OneInstructionPerOperator) {
  Fixture f;
  Index x(f.b, f.x);
  // Unsigned constants: with an int, the built-in operator on Index's conversion to an id is a
  // candidate too (ISO C++ calls the choice ambiguous; GCC warns, and picks Index's).
  Index row = x >> 3u;
  Index w = row * 36u;
  w = w + (x & 7u) + 100u;
  (void)(w / 4u % 2u - 1u);
  (void)(x << 1u | x);
  EXPECT_EQ(f.finish(), (std::vector<spv::Op>{
                            spv::Op::OpShiftRightLogical, spv::Op::OpIMul, spv::Op::OpBitwiseAnd,
                            spv::Op::OpIAdd, spv::Op::OpIAdd, spv::Op::OpUDiv, spv::Op::OpUMod,
                            spv::Op::OpISub, spv::Op::OpShiftLeftLogical, spv::Op::OpBitwiseOr}));
}

TEST(Index, TimesOneEmitsNothing) {
  Fixture f;
  Index x(f.b, f.x);
  EXPECT_EQ(x.times(1).id(), f.x);
  EXPECT_NE(x.times(4).id(), f.x);
  EXPECT_EQ(f.finish(), (std::vector<spv::Op>{spv::Op::OpIMul}));
}

TEST(Index, PlusAndXorWithZeroEmitNothing) {
  Fixture f;
  Index x(f.b, f.x);
  EXPECT_EQ(x.plus(0).id(), f.x);
  EXPECT_EQ(x.xorWith(0).id(), f.x);
  EXPECT_NE(x.plus(3).id(), f.x);
  EXPECT_NE(x.xorWith(3).id(), f.x);
  EXPECT_EQ(f.finish(), (std::vector<spv::Op>{spv::Op::OpIAdd, spv::Op::OpBitwiseXor}));
}

TEST(Index, ComparisonsAreBools) {
  Fixture f;
  Index x(f.b, f.x);
  Id lt = x.lessThan(5);
  Id eq = x.equals(5);
  EXPECT_NE(lt, eq);
  EXPECT_EQ(f.finish(), (std::vector<spv::Op>{spv::Op::OpULessThan, spv::Op::OpIEqual}));
}

TEST(Index, ConstantsAreShared) {
  Fixture f;
  EXPECT_EQ(Index::constant(f.b, 9).id(), f.b.u32(9));
}

}  // namespace
}  // namespace tvk::lower
