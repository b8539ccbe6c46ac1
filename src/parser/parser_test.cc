// Parser tests: corpus round trip, op forms, locations, and errors on malformed input.
#include "parser/parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ir/printer.h"
#include "ir/walk.h"

namespace tvk::parser {
namespace {

std::string readFile(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::filesystem::path> corpus() {
  std::vector<std::filesystem::path> files;
  for (const auto& d : std::filesystem::directory_iterator(std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases"))
    for (const char* n : {"kernel.ttir", "kernel.source.ttir"})
      if (std::filesystem::exists(d.path() / n)) files.push_back(d.path() / n);
  std::sort(files.begin(), files.end());
  return files;
}

/// Finds the first op named `name` in the module.
const ir::Operation* findOp(const ir::Module& m, const std::string& name) {
  const ir::Operation* found = nullptr;
  ir::walk(m, [&](const ir::Operation& o) {
    if (!found && o.name == name) found = &o;
  });
  return found;
}

/// Parses a module or fails the test.
std::unique_ptr<ir::Module> mustParse(const std::string& text) {
  auto m = parseTTIR(text, "test.ttir");
  EXPECT_TRUE(m.ok()) << m.status().message();
  if (!m.ok()) return nullptr;
  return std::move(m.value());
}

/// Wraps op lines into a kernel with the given arguments.
std::string kernel(const std::string& args, const std::string& body) {
  return "module {\n  tt.func public @k(" + args + ") {\n" + body + "    tt.return\n  }\n}\n";
}

TEST(Parser, CorpusRoundTrips) {
  auto files = corpus();
  EXPECT_GE(files.size(), 48u);
  for (const auto& f : files) {
    auto m1 = parseTTIR(readFile(f), f.string());
    ASSERT_TRUE(m1.ok()) << m1.status().message();
    std::string p1 = ir::printModule(**m1);
    auto m2 = parseTTIR(p1, f.string() + " (printed)");
    ASSERT_TRUE(m2.ok()) << m2.status().message();
    EXPECT_EQ(ir::printModule(**m2), p1) << f;
    // Without locations too (str_nodebug style).
    std::string n1 = ir::printModule(**m1, false);
    auto m3 = parseTTIR(n1, f.string() + " (nodebug)");
    ASSERT_TRUE(m3.ok()) << m3.status().message();
    EXPECT_EQ(ir::printModule(**m3, false), n1) << f;
  }
}

TEST(Parser, PrintsOpsAsTritonDoes) {
  // Each line is printed back exactly (the printer uses the same registry as the parser).
  const char* lines[] = {
      "%1 = tt.splat %p : !tt.ptr<f32> -> tensor<16x!tt.ptr<f32>>",
      "%2 = tt.addptr %1, %r : tensor<16x!tt.ptr<f32>>, tensor<16xi32>",
      "%3 = arith.cmpi slt, %r, %r : tensor<16xi32>",
      "%4 = tt.load %2, %3, %f : tensor<16x!tt.ptr<f32>>",
      "%5 = tt.load %2 cacheModifier = ca evictionPolicy = evict_last {isVolatile = true} : tensor<16x!tt.ptr<f32>>",
      "%6 = tt.atomic_rmw fadd, acq_rel, gpu, %2, %4, %3 : (tensor<16x!tt.ptr<f32>>, tensor<16xf32>, tensor<16xi1>) -> tensor<16xf32>",
      "%7 = tt.fp_to_fp %4, rounding = rtne : tensor<16xf32> -> tensor<16xf8E4M3FN>",
      "%8 = arith.select %3, %4, %f : tensor<16xi1>, tensor<16xf32>",
      "%9 = arith.sitofp %r : tensor<16xi32> to tensor<16xf32>",
      "%10 = tt.expand_dims %4 {axis = 0 : i32} : tensor<16xf32> -> tensor<1x16xf32>",
      "%11 = arith.constant dense<0xFF800000> : tensor<16xf32>",
      "%12 = arith.constant dense<[1, 2]> : tensor<2xi32>",
      "%13 = tt.clampf %4, %f, %f, propagateNan = none : tensor<16xf32>",
      "%14 = tt.get_program_id y : i32",
      "%15 = arith.constant 4.6566126E-10 : f32",
      "tt.store %2, %4, %3 : tensor<16x!tt.ptr<f32>>",
  };
  std::string body =
      "    %r = tt.make_range {end = 16 : i32, start = 0 : i32} : tensor<16xi32>\n"
      "    %f = arith.constant dense<1.000000e+00> : tensor<16xf32>\n";
  for (const char* l : lines) body += std::string("    ") + l + "\n";
  auto m = mustParse(kernel("%p: !tt.ptr<f32>", body));
  ASSERT_TRUE(m);
  std::string out = ir::printModule(*m, false);
  for (const char* l : lines) EXPECT_NE(out.find(l), std::string::npos) << l << "\n" << out;
  const ir::Operation* rmw = findOp(*m, "tt.atomic_rmw");
  ASSERT_TRUE(rmw);
  EXPECT_EQ(rmw->strAttr("atomic_rmw_op"), "fadd");
  EXPECT_EQ(rmw->strAttr("sem"), "acq_rel");
  EXPECT_EQ(rmw->strAttr("scope"), "gpu");
  EXPECT_EQ(findOp(*m, "arith.cmpi")->strAttr("predicate"), "slt");
  EXPECT_EQ(findOp(*m, "tt.get_program_id")->intAttr("axis"), 1);
  EXPECT_EQ(findOp(*m, "tt.fp_to_fp")->strAttr("rounding"), "rtne");
  EXPECT_EQ(findOp(*m, "tt.fp_to_fp")->result()->type.str(), "tensor<16xf8E4M3FN>");
  EXPECT_EQ(findOp(*m, "arith.cmpi")->result()->type.str(), "tensor<16xi1>");
}

TEST(Parser, OtherTritonFormsPrintVerbatim) {
  // Forms from Triton 3.6 output that the corpus lacks; printing must give the same text.
  const std::string text = R"TTIR(module {
  tt.func public @k(%x: !tt.ptr<f32>, %n: i32, %i: !tt.ptr<i32>, %v16: tensor<16x16xf32>, %g: tensor<32xf32>, %u: tensor<32xi32>, %r64: tensor<64xi32>, %h: tensor<64xi32>, %hm: tensor<64xi1>, %w: tensor<64xf32>, %b: i64, %ai: tensor<4xi32>) {
    %c0_i32 = arith.constant 0 : i32
    %c16_i32 = arith.constant 16 : i32
    %c0_i64 = arith.constant 0 : i64
    %c1_i64 = arith.constant 1 : i64
    %0 = tt.join %v16, %v16 : tensor<16x16xf32> -> tensor<16x16x2xf32>
    %outLHS, %outRHS = tt.split %0 : tensor<16x16x2xf32> -> tensor<16x16xf32>
    %2 = tt.trans %outLHS {order = array<i32: 1, 0>} : tensor<16x16xf32> -> tensor<16x16xf32>
    %z = tt.reshape %2 allow_reorder : tensor<16x16xf32> -> tensor<256xf32>
    %17 = tt.cat %r64, %r64 : tensor<64xi32> -> tensor<128xi32>
    %h_5 = tt.histogram %h, %hm : tensor<64xi32> -> tensor<8xi32>
    %13 = tt.gather %w[%h] {axis = 0 : i32} : (tensor<64xf32>, tensor<64xi32>) -> tensor<64xf32>
    %p0 = tt.precise_sqrt %g : tensor<32xf32>
    %7 = tt.extern_elementwise %g {libname = "", libpath = "", pure = true, symbol = "__nv_erfinvf"} : (tensor<32xf32>) -> tensor<32xf32>
    %11 = tt.mulhiui %u, %u : tensor<32xi32>
    %8 = tt.elementwise_inline_asm "mov.b32 $0, $1;" {constraints = "=r,r", packed_element = 1 : i32, pure = true} %ai : tensor<4xi32> -> tensor<4xi32>
    %z_16 = tt.get_num_programs x : i32
    %q_13 = tt.ptr_to_int %i : !tt.ptr<i32> -> i64
    %q_14 = tt.int_to_ptr %q_13 : i64 -> !tt.ptr<i32>
    %t = arith.cmpi slt, %n, %c16_i32 : i32
    llvm.intr.assume %t : i1
    gpu.barrier
    tt.print " v: " {hex = false, isSigned = array<i32: 1>} : %n : i32
    tt.assert %t, "bad" : i1
    %rr = tt.make_range {end = 16 : i32, start = 0 : i32, tt.contiguity = dense<16> : tensor<1xi32>, tt.divisibility = dense<16> : tensor<1xi32>} : tensor<16xi32>
    %d_1 = tt.make_tensor_descriptor %x, [%n, %n], [%b, %c1_i64] : <f32>, <tensor<16x16xf32>>
    %dv = tt.descriptor_load %d_1[%c0_i32, %c0_i32] : !tt.tensordesc<tensor<16x16xf32>> -> tensor<16x16xf32>
    tt.descriptor_store %d_1[%c16_i32, %c0_i32], %dv : !tt.tensordesc<tensor<16x16xf32>>, tensor<16x16xf32>
    tt.descriptor_reduce add, %d_1[%c0_i32, %c0_i32], %dv : !tt.tensordesc<tensor<16x16xf32>>, tensor<16x16xf32>
    scf.for %k = %c0_i64 to %b step %c1_i64  : i64 {
      gpu.barrier
    } {tt.disallow_acc_multi_buffer, tt.flatten, tt.num_stages = 2 : i32}
    %s0 = tt.splat %x : !tt.ptr<f32> -> tensor<!tt.ptr<f32>>
    %us = tt.unsplat %s0 : tensor<!tt.ptr<f32>>
    %cmp = "tt.map_elementwise"(%g, %g) <{pack = 1 : i32}> ({
    ^bb0(%w_174: f32, %w_175: f32):
      %s = arith.addf %w_174, %w_175 : f32
      tt.map_elementwise.return %s : f32
    }) : (tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
    %f1 = arith.addf %g, %g fastmath<fast> : tensor<32xf32>
    %i1 = arith.addi %n, %n overflow<nsw> : i32
    tt.return
  }
}
)TTIR";
  auto m = mustParse(text);
  ASSERT_TRUE(m);
  EXPECT_EQ(ir::printModule(*m, false), text);
  EXPECT_EQ(findOp(*m, "tt.unsplat")->result()->type.str(), "!tt.ptr<f32>");
  EXPECT_EQ(findOp(*m, "tt.split")->results.size(), 2u);
  EXPECT_EQ(findOp(*m, "tt.descriptor_load")->result()->type.str(), "tensor<16x16xf32>");
  EXPECT_EQ(findOp(*m, "tt.reshape")->attr("allow_reorder")->kind, ir::Attribute::Kind::Unit);
}

TEST(Parser, HexFloatAndDenseValues) {
  auto m = mustParse(kernel("", "    %c = arith.constant dense<0xFF800000> : tensor<4xf32>\n"
                                "    %d = arith.constant dense<[1, -2, 3, 4]> : tensor<2x2xi32>\n"));
  ASSERT_TRUE(m);
  const ir::Attribute* v = findOp(*m, "arith.constant")->attr("value");
  ASSERT_TRUE(v && v->isSplat());
  EXPECT_TRUE(std::isinf(v->elems[0].f) && v->elems[0].f < 0);
  // Hex payloads of the narrow float types decode to their values.
  auto h = mustParse(kernel("", "    %a = arith.constant 0x3C00 : f16\n    %b = arith.constant 0xC040 : bf16\n"
                                "    %c = arith.constant 0x38 : f8E4M3FN\n    %d = arith.constant 0xC0 : f8E5M2\n"));
  ASSERT_TRUE(h);
  std::vector<double> got;
  ir::walk(*h, [&](const ir::Operation& o) {
    if (o.name == "arith.constant") got.push_back(o.attr("value")->f);
  });
  EXPECT_EQ(got, (std::vector<double>{1.0, -3.0, 1.0, -2.0}));
  std::string out = ir::printModule(*m, false);
  EXPECT_NE(out.find("dense<[[1, -2], [3, 4]]> : tensor<2x2xi32>"), std::string::npos) << out;
  // MLIR's hex-blob form decodes to the same elements (little-endian).
  auto blob = mustParse(kernel("", "    %d = arith.constant dense<\"0x01000000FEFFFFFF\"> : tensor<2xi32>\n"));
  ASSERT_TRUE(blob);
  const ir::Attribute* b = findOp(*blob, "arith.constant")->attr("value");
  ASSERT_EQ(b->elems.size(), 2u);
  EXPECT_EQ(b->elems[0].i, 1);
  EXPECT_EQ(b->elems[1].i, -2);
}

TEST(Parser, StructuredControlFlow) {
  auto m = mustParse(kernel(
      "%n: i32",
      "    %c0 = arith.constant 0 : i32\n"
      "    %c1 = arith.constant 1 : i32\n"
      "    %acc:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0, %b = %c1) -> (i32, i32)  : i32 {\n"
      "      %s = arith.addi %a, %i : i32\n"
      "      scf.yield %s, %b : i32, i32\n"
      "    }\n"
      "    %w = scf.while (%x = %acc#1) : (i32) -> i32 {\n"
      "      %t = arith.cmpi slt, %x, %n : i32\n"
      "      scf.condition(%t) %x : i32\n"
      "    } do {\n"
      "    ^bb0(%y: i32):\n"
      "      %y2 = arith.addi %y, %c1 : i32\n"
      "      scf.yield %y2 : i32\n"
      "    }\n"
      "    %t2 = arith.cmpi sgt, %w, %acc#0 : i32\n"
      "    scf.if %t2 {\n"
      "      gpu.barrier\n"
      "    }\n"));
  ASSERT_TRUE(m);
  const ir::Operation* f = findOp(*m, "scf.for");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->numOperands(), 5);           // lb, ub, step, 2 inits
  EXPECT_EQ(f->body().args.size(), 3u);     // iv + 2 iter args
  EXPECT_EQ(f->results.size(), 2u);
  const ir::Operation* w = findOp(*m, "scf.while");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->operand(0), f->result(1));
  EXPECT_EQ(w->regions.size(), 2u);
  EXPECT_EQ(w->body(0).terminator()->name, "scf.condition");
  const ir::Operation* i = findOp(*m, "scf.if");
  ASSERT_TRUE(i);
  EXPECT_EQ(i->body(0).terminator()->name, "scf.yield");  // implicit yield added
  std::string out = ir::printModule(*m, false);
  EXPECT_NE(out.find("%acc:2 = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0, %b = %c1) -> (i32, i32)  : i32 {"), std::string::npos) << out;
  EXPECT_NE(out.find("%t2 = arith.cmpi sgt, %w, %acc#0 : i32"), std::string::npos) << out;
}

TEST(Parser, BranchesBetweenBlocks) {
  // A top-level `if ...: return` becomes cf.cond_br in Triton's TTIR.
  const std::string text =
      "module {\n"
      "  tt.func public @k(%p: !tt.ptr<i32>, %n: i32) {\n"
      "    %pid = tt.get_program_id x : i32\n"
      "    %c = arith.cmpi sge, %pid, %n : i32\n"
      "    cf.cond_br %c, ^bb1, ^bb2(%pid : i32)\n"
      "  ^bb1:  // pred: ^bb0\n"
      "    tt.return\n"
      "  ^bb2(%v: i32):  // pred: ^bb0\n"
      "    tt.store %p, %v : !tt.ptr<i32>\n"
      "    cf.br ^bb1\n"
      "  }\n"
      "}\n";
  auto m = mustParse(text);
  ASSERT_TRUE(m);
  const ir::Operation* br = findOp(*m, "cf.cond_br");
  ASSERT_TRUE(br);
  ASSERT_EQ(br->successors.size(), 2u);
  EXPECT_EQ(br->successors[1]->args.size(), 1u);
  EXPECT_EQ(br->numOperands(), 2);
  std::string out = ir::printModule(*m, false);
  EXPECT_NE(out.find("cf.cond_br %c, ^bb1, ^bb2(%pid : i32)"), std::string::npos) << out;
  EXPECT_NE(out.find("cf.br ^bb1\n"), std::string::npos) << out;
  auto again = parseTTIR(out, "again");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(ir::printModule(**again, false), out);
  auto bad = parseTTIR(kernel("", "    cf.br ^nowhere\n"), "k.ttir");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("undefined block ^nowhere"), std::string::npos) << bad.status().message();
}

TEST(Parser, ResolvesLocationsToUserLines) {
  auto m = mustParse(readFile(std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases/add_f32/kernel.ttir"));
  ASSERT_TRUE(m);
  const ir::Operation* load = findOp(*m, "tt.load");
  ASSERT_TRUE(load);
  EXPECT_EQ(load->loc.file, "kernels.py");
  EXPECT_EQ(load->loc.line, 11);
  EXPECT_EQ(load->loc.col, 16);
  EXPECT_EQ(load->loc.name, "x");
  EXPECT_EQ(load->where(), "tt.load at kernels.py:11");
  // Call-site locations report the outermost (user) frame.
  auto src = mustParse(readFile(std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases/argmax/kernel.ttir"));
  ASSERT_TRUE(src);
  bool sawCallsite = false;
  ir::walk(*src, [&](const ir::Operation& o) {
    if (o.loc.caller) {
      sawCallsite = true;
      EXPECT_EQ(o.loc.userStr().rfind("kernels.py:", 0), 0u) << o.loc.mlir();
    }
  });
  EXPECT_TRUE(sawCallsite);
}

TEST(Parser, ErrorsOnMalformedInput) {
  std::string good = kernel("%a: i32", "    %0 = arith.addi %a, %a : i32\n");
  ASSERT_TRUE(parseTTIR(good, "k.ttir").ok());
  struct Case {
    std::string text, expect;
  } cases[] = {
      {good.substr(0, good.size() / 2), "k.ttir:"},
      {kernel("%a: i32", "    %0 = arith.addi %a, %a : foo32\n"), "k.ttir:3: unknown type 'foo32'"},
      {kernel("%a: i32", "    %0 = arith.addi %a, %b : i32\n"), "k.ttir:3: use of undefined value %b"},
      {good + "}\n", "unbalanced '}'"},
      {kernel("%a: i32", "    %0 = arith.addi %a, %a : i32\n").substr(0, good.size() - 4), "unbalanced braces"},
      {kernel("%a: i32", "    %0 = tt.frobnicate %a : i32 loc(#l)\n") + "#l = loc(\"kernels.py\":42:7)\n",
       "unsupported: tt.frobnicate at kernels.py:42"},
      {kernel("%a: i32", "    %0 = tt.frobnicate %a : i32\n"), "unsupported: tt.frobnicate at k.ttir:3"},
      {kernel("%a: i32", "    %0 = arith.addi %a, %a : i32 loc(#nope)\n"), "undefined location alias #nope"},
      {kernel("%a: i32", "    %0 = arith.addi %a, %a : i32 loc(#x)\n") + "#x = loc(#y)\n#y = loc(#x)\n", "cyclic location alias"},
      {kernel("", "    %c = arith.constant dense<[1, 2, 3]> : tensor<4xi32>\n"), "dense literal has 3 elements"},
      {"", "no operations"},
  };
  for (const auto& c : cases) {
    auto m = parseTTIR(c.text, "k.ttir");
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_NE(m.status().message().find(c.expect), std::string::npos) << m.status().message();
  }
  // Unknown ops in generic form are fine.
  EXPECT_TRUE(parseTTIR(kernel("%a: i32", "    %0 = \"foo.bar\"(%a) <{k = 1 : i32}> : (i32) -> i32\n"), "k").ok());
}

TEST(Parser, TruncatedCorpusNeverCrashes) {
  std::string text = readFile(std::string(TVK_SOURCE_DIR) + "/tests/conformance/cases/attention/kernel.ttir");
  int errors = 0;
  for (size_t cut = 0; cut < text.size(); cut += 97) {
    auto m = parseTTIR(text.substr(0, cut), "t");
    if (!m.ok()) {
      ++errors;
      EXPECT_FALSE(m.status().message().empty());
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace tvk::parser
