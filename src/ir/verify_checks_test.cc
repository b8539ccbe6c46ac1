// Verifier checks added for hostile input (found by or written for tvk_fuzz): operand and
// result counts of every registry op in any form, value types, attribute ranges, terminator
// placement. Each case is a kernel body the parser accepts and the verifier must reject with
// the given message.
#include <gtest/gtest.h>

#include "ir/verifier.h"
#include "parser/parser.h"

namespace tvk::ir {
namespace {

struct Case {
  const char* name;
  std::string args;
  std::string body;
  std::string want;
};

std::string kernel(const std::string& args, const std::string& body) {
  return "module {\n  tt.func public @k(" + args + ") {\n" + body + "    tt.return\n  }\n}\n";
}

Status verifyText(const std::string& text) {
  auto m = parser::parseTTIR(text, "v.ttir");
  if (!m.ok()) return Status::error("parse: " + m.status().message());
  return verifyModule(**m);
}

const std::string kF = "%x: f32, %y: f32, %i: i32, %j: i32, %c: i1, %t: tensor<8xi32>, %u: tensor<8xf32>, "
                       "%p: !tt.ptr<f32>, %pt: tensor<8x!tt.ptr<f32>>";

const Case kCases[] = {
    // Operand/result counts, whatever the form.
    {"binary_one_operand", kF, "    %r = arith.addf %x : f32\n", "arith.addf at v.ttir:3: has 1 operands, expected 2"},
    {"binary_generic_three", kF, "    %r = \"arith.addi\"(%i, %i, %i) : (i32, i32, i32) -> i32\n", "has 3 operands, expected 2"},
    {"unary_two_operands", kF, "    %r = math.exp %x, %y : f32\n", "math.exp at v.ttir:3: has 2 operands, expected 1"},
    {"two_results", kF, "    %r:2 = \"arith.addf\"(%x, %y) : (f32, f32) -> (f32, f32)\n", "has 2 results, expected 1"},
    {"select_two", kF, "    %r = arith.select %c, %x : f32\n", "arith.select at v.ttir:3: has 2 operands, expected 3"},
    {"print_signs", kF, "    tt.print \" x: \" {hex = false, isSigned = array<i32: 1>} : %x, %y : f32, f32\n",
     "tt.print at v.ttir:3: isSigned has 1 entries for 2 operands"},
    {"cat_one", kF, "    %r = tt.cat %t : tensor<8xi32> -> tensor<16xi32>\n", "tt.cat at v.ttir:3: has 1 operands, expected 2"},
    {"fma_two", kF, "    %r = math.fma %x, %y : f32\n", "has 2 operands, expected 3"},
    {"store_result", kF, "    %r = \"tt.store\"(%p, %x) : (!tt.ptr<f32>, f32) -> f32\n", "has 1 results, expected 0"},
    {"region_on_addf", kF,
     "    %r = \"arith.addf\"(%x, %y) ({\n      tt.return\n    }) : (f32, f32) -> f32\n",
     "has 1 regions, expected 0"},
    {"unknown_generic_op", kF, "    %r = \"foo.bar\"(%x) : (f32) -> f32\n", "unsupported: foo.bar at v.ttir:3"},
    // Element kinds and types.
    {"addf_on_ints", kF, "    %r = arith.addf %i, %j : i32\n", "needs float operands, got i32"},
    {"addi_on_floats", kF, "    %r = arith.addi %x, %y : f32\n", "needs integer operands, got f32"},
    {"cmpi_bad_predicate", kF, "    %r = arith.cmpi olt, %i, %j : i32\n", "predicate = olt is not one of"},
    {"cmpf_on_ints", kF, "    %r = arith.cmpf olt, %i, %j : i32\n", "needs float operands"},
    {"select_int_condition", kF, "    %r = arith.select %i, %x, %y : i32, f32\n", "condition i32 is not i1"},
    {"odd_int_width", "%a: i3", "    %r = arith.addi %a, %a : i3\n", "unsupported integer type i3"},
    {"unknown_float", "%a: f8E9M9", "    %r = arith.addf %a, %a : f8E9M9\n", "unsupported float type f8E9M9"},
    {"non_power_of_two_dim", kF, "    %r = tt.splat %i : i32 -> tensor<6xi32>\n", "dimension 6 is not a power of two"},
    {"rank_zero_tensor", kF, "    %r = tt.splat %i : i32 -> tensor<i32>\n", "has rank 0"},
    {"zero_dim", kF, "    %r = tt.splat %i : i32 -> tensor<0xi32>\n", "dimension 0 is not a power of two"},
    {"bitcast_widths", kF, "    %r = arith.bitcast %i : i32 to i64\n", "cannot convert i32 to i64"},
    {"constant_kind", kF, "    %r = \"arith.constant\"() <{value = 1.5 : f32}> : () -> i32\n", "value of type f32 for result i32"},
    {"constant_pointer", kF, "    %r = \"arith.constant\"() <{value = 0 : i64}> : () -> !tt.ptr<f32>\n",
     "value of type i64 for result !tt.ptr<f32>"},
    // Attribute ranges.
    {"make_range_reversed", kF, "    %r = tt.make_range {end = 0 : i32, start = 8 : i32} : tensor<8xi32>\n",
     "start 8 is not below end 0"},
    {"make_range_beyond_i32", kF,
     "    %r = tt.make_range {end = 4294967304 : i64, start = 4294967296 : i64} : tensor<8xi32>\n",
     "start = 4294967296 is out of range"},
    {"make_range_missing_end", kF, "    %r = tt.make_range {start = 0 : i32} : tensor<8xi32>\n",
     "needs an integer attribute 'end'"},
    {"program_id_axis", kF, "    %r = \"tt.get_program_id\"() <{axis = 3 : i32}> : () -> i32\n", "axis = 3 is out of range [0, 2]"},
    {"expand_dims_axis", kF, "    %r = tt.expand_dims %t {axis = 2 : i32} : tensor<8xi32> -> tensor<8x1xi32>\n",
     "axis = 2 is out of range [0, 1]"},
    {"trans_not_permutation", "%a: tensor<4x8xi32>",
     "    %r = tt.trans %a {order = array<i32: 0, 0>} : tensor<4x8xi32> -> tensor<4x4xi32>\n",
     "is not a permutation of 0..1"},
    {"gather_axis", kF, "    %r = tt.gather %t[%t] {axis = 1 : i32} : (tensor<8xi32>, tensor<8xi32>) -> tensor<8xi32>\n",
     "axis = 1 is out of range [0, 0]"},
    {"gather_shapes", "%s: tensor<8x4xf32>, %ix: tensor<8x2xi32>",
     "    %r = tt.gather %s[%ix] {axis = 0 : i32} : (tensor<8x4xf32>, tensor<8x2xi32>) -> tensor<8x2xf32>\n",
     "differ from source tensor<8x4xf32> in dimension 1"},
    {"reduce_axis", kF,
     "    %r = \"tt.reduce\"(%t) <{axis = 1 : i32}> ({\n    ^bb0(%a: i32, %b: i32):\n"
     "      %s = arith.addi %a, %b : i32\n      tt.reduce.return %s : i32\n    }) : (tensor<8xi32>) -> i32\n",
     "axis = 1 is out of range [0, 0]"},
    {"scan_result_type", kF,
     "    %r = \"tt.scan\"(%t) <{axis = 0 : i32, reverse = false}> ({\n    ^bb0(%a: i32, %b: i32):\n"
     "      %s = arith.addi %a, %b : i32\n      tt.scan.return %s : i32\n    }) : (tensor<8xi32>) -> i32\n",
     "result i32 should be tensor<8xi32>"},
    {"split_shape", kF, "    %r:2 = \"tt.split\"(%t) : (tensor<8xi32>) -> (tensor<4xi32>, tensor<4xi32>)\n", "do not agree"},
    {"cat_shape", kF, "    %r = tt.cat %t, %t : tensor<8xi32> -> tensor<32xi32>\n", "cannot concatenate"},
    {"histogram_float", kF, "    %r = tt.histogram %u : tensor<8xf32> -> tensor<4xi32>\n", "cannot count"},
    {"unsplat_many", kF, "    %r = tt.unsplat %t : tensor<8xi32>\n", "cannot unsplat"},
    {"atomic_kind", kF, "    %r = tt.atomic_rmw nand, acq_rel, gpu, %p, %x : (!tt.ptr<f32>, f32) -> f32\n",
     "atomic_rmw_op = nand is not one of"},
    {"atomic_scope", kF, "    %r = tt.atomic_rmw fadd, acq_rel, galaxy, %p, %x : (!tt.ptr<f32>, f32) -> f32\n",
     "scope = galaxy is not one of"},
    {"load_mask_scalar_for_tensor", kF, "    %r = tt.load %pt, %c : tensor<8x!tt.ptr<f32>>\n", "mask i1 does not match"},
    {"addptr_float_offset", kF, "    %r = \"tt.addptr\"(%p, %x) : (!tt.ptr<f32>, f32) -> !tt.ptr<f32>\n", "offset f32 is not an integer"},
    {"make_tensor_ptr_counts", "%b: !tt.ptr<f32>, %s: i64, %o: i32",
     "    %r = \"tt.make_tensor_ptr\"(%b, %s, %s, %o) <{order = array<i32: 0>}> : (!tt.ptr<f32>, i64, i64, i32) -> "
     "!tt.ptr<tensor<8x8xf32>>\n",
     "needs 6"},
    {"dot_int_float", "%a: tensor<16x16xi8>, %b: tensor<16x16xi8>, %d: tensor<16x16xf32>",
     "    %r = tt.dot %a, %b, %d : tensor<16x16xi8> * tensor<16x16xi8> -> tensor<16x16xf32>\n", "cannot multiply"},
    // Control flow and terminators.
    {"for_bound_types", "%i: i32, %l: i64",
     "    scf.for %iv = %i to %l step %i  : i32 {\n      scf.yield\n    }\n", "are not one integer type"},
    {"if_condition_type", kF, "    scf.if %i {\n      scf.yield\n    }\n", "condition i32 is not i1"},
    {"yield_outside_scf", kF, "    \"scf.yield\"() : () -> ()\n", "terminator is not the last op of its block"},
    {"reduce_return_in_func", kF, "    \"tt.reduce.return\"(%x) : (f32) -> ()\n", "terminator is not the last op"},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class VerifyChecks : public ::testing::TestWithParam<Case> {};

TEST_P(VerifyChecks, Rejects) {
  const Case& c = GetParam();
  Status s = verifyText(kernel(c.args, c.body));
  ASSERT_FALSE(s.ok()) << c.body;
  EXPECT_NE(s.message().find(c.want), std::string::npos) << "want '" << c.want << "' in: " << s.message();
  EXPECT_NE(s.message().rfind("parse:", 0), 0u) << "the parser, not the verifier, rejected it: " << s.message();
}

INSTANTIATE_TEST_SUITE_P(Verifier, VerifyChecks, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(VerifyChecksMisc, DivisibilityMustBePositiveAndBounded) {
  for (const char* d : {"0", "-16", "4611686018427387904"}) {
    Status s = verifyText(kernel(std::string("%p: !tt.ptr<f32> {tt.divisibility = ") + d + " : i64}", ""));
    ASSERT_FALSE(s.ok()) << d;
    EXPECT_NE(s.message().find("tt.divisibility"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(verifyText(kernel("%p: !tt.ptr<f32> {tt.divisibility = 16 : i32}", "")).ok());
}

TEST(VerifyChecksMisc, TerminatorMustBeInsideItsOp) {
  // tt.return inside scf.if's region instead of scf.yield.
  Status s = verifyText(kernel("%c: i1", "    scf.if %c {\n      tt.return\n    }\n"));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tt.return"), std::string::npos) << s.message();
}

TEST(VerifyChecksMisc, AcceptsTheWellFormedVariants) {
  const std::string ok[] = {
      "    %r = tt.make_range {end = 2147483647 : i32, start = 2147483646 : i32} : tensor<1xi32>\n",
      "    %r = tt.make_range {end = -2147483647 : i32, start = -2147483648 : i32} : tensor<1xi32>\n",
      "    %r = tt.gather %t[%t] {axis = 0 : i32} : (tensor<8xi32>, tensor<8xi32>) -> tensor<8xi32>\n",
      "    %r = tt.cat %t, %t : tensor<8xi32> -> tensor<16xi32>\n",
      "    %r = arith.select %c, %x, %y : f32\n",
      "    %r = tt.splat %i : i32 -> tensor<1048576xi32>\n",
  };
  for (const std::string& body : ok) {
    Status s = verifyText(kernel(kF, body));
    EXPECT_TRUE(s.ok()) << body << s.message();
  }
}

}  // namespace
}  // namespace tvk::ir
