// tt.print (tl.device_print, `print` in a kernel) and tt.assert (tl.device_assert, `assert` with
// TRITON_DEBUG=1 / debug=True): records in the runtime's debug record buffer
// (abi/reflection.h), formatted and checked by the runtime after the kernel's batch
// finished (runtime/debug_records.h).
//
// Sites: every operand of a tt.print (or a tt.print without operands) and every tt.assert is one
// site; one walk over the kernel numbers them in program order when the first of these ops is
// lowered, so that the kernel id (a hash of the entry name and the site table) is known before
// any record is emitted. Kernels without these ops get no binding and no code.
//
// Records (one per element):
//  - print of a tensor: every invocation that owns its slots (LayoutIndexer::ownerCond) claims one
//    record per slot with one atomic add and writes them; each element is printed once per
//    program (replicated layouts print nothing twice);
//  - print of a scalar or without operands: invocation 0 only, once per program (Triton-CUDA
//    prints a scalar once per thread);
//  - assert: an invocation with a false element among its owned slots claims one record per
//    false element (and adds their count to header word 2). The kernel continues: stores after
//    a failed assertion still happen (Triton-CUDA's __assertfail stops the thread); the runtime
//    raises the error after the batch finished.
// Claims past the buffer's capacity write into the spare record instead (branch-free).
//
// Example: `tt.print " x: " {hex = false, isSigned = array<i32: 1>} : %x : tensor<128xi32>`
// with 4 elements per invocation: if (owner) { base = atomicAdd(words[0], 4);
// cap = words[1]; for r in 0..3: rec = min(base + r, cap); words[4 + 8 rec ...] = {id, site,
// pid x, y, z, linear index of slot r, bits of x[r], 0} }.
#include <cstring>

#include "ir/walk.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

constexpr uint32_t kScopeDevice = 1;
constexpr uint32_t kSemRelaxed = 0;
constexpr uint32_t kGlslUMin = 38;  // GLSL.std.450 UMin

// FNV-1a over `text`, continuing from `h`.
uint32_t fnv(uint32_t h, const std::string& text) {
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 16777619u;
  }
  return h;
}

// The outermost user frame of `loc` with a file (what Location::userStr names).
const ir::Location* userFrame(const ir::Location& loc) {
  const ir::Location* best = loc.file.empty() ? nullptr : &loc;
  for (const ir::Location* l = loc.caller.get(); l; l = l->caller.get())
    if (!l->file.empty()) best = l;
  return best;
}

DebugSite siteOf(const ir::Operation& op) {
  DebugSite s;
  if (const ir::Location* l = userFrame(op.loc)) {
    s.file = l->file;
    s.line = l->line;
  }
  return s;
}

// Numbers the sites of every tt.print/tt.assert of the kernel (once) and hashes them.
void buildSites(Context& c) {
  if (c.debug.kernelId) return;
  Context::Debug& d = c.debug;
  ir::walk(c.func, [&](const ir::Operation& op) {
    if (op.name != "tt.print" && op.name != "tt.assert") return;
    d.firstSite[&op] = static_cast<uint32_t>(d.sites.size());
    DebugSite base = siteOf(op);
    if (op.name == "tt.assert") {
      base.kind = DebugSite::Kind::Assert;
      base.text = op.strAttr("message");
      base.type = "i1";
      base.shape = op.operand(0)->type.isTensor() ? op.operand(0)->type.shape
                                                  : std::vector<int64_t>{};
      d.sites.push_back(base);
      return;
    }
    base.text = op.strAttr("prefix");
    const ir::Attribute* hex = op.attr("hex");
    base.hex = hex && hex->i != 0;
    base.numOperands = static_cast<int>(op.numOperands());
    const ir::Attribute* sign = op.attr("isSigned");
    if (op.numOperands() == 0) {
      d.sites.push_back(base);
      return;
    }
    for (size_t i = 0; i < op.operands.size(); ++i) {
      DebugSite s = base;
      const ir::Value* v = op.operand(static_cast<int>(i));
      s.operand = static_cast<int>(i);
      s.isSigned = !sign || i >= sign->elems.size() || sign->elems[i].i != 0;
      s.type = v->type.scalar().str();
      if (v->type.isTensor()) s.shape = v->type.shape;
      if (v->type.scalar().isPtr() && !c.isAddress(v)) {
        auto it = c.prov.ptrs.find(v);
        const ir::Block& entry = c.func.body();
        if (it != c.prov.ptrs.end() && it->second.arg >= 0 &&
            static_cast<size_t>(it->second.arg) < entry.args.size())
          s.pointerArg = entry.arg(it->second.arg)->name;
      }
      d.sites.push_back(s);
    }
  });
  uint32_t h = fnv(2166136261u, ir::funcName(c.func));
  for (const DebugSite& s : d.sites) {
    std::string key = std::to_string(static_cast<int>(s.kind)) + "|" + s.text + "|" +
                      std::to_string(s.operand) + "|" + std::to_string(s.numOperands) + "|" +
                      (s.hex ? "x" : "d") + (s.isSigned ? "s" : "u") + "|" + s.type + "|" +
                      s.pointerArg + "|" + s.file + ":" + std::to_string(s.line) + "|";
    for (int64_t e : s.shape) key += std::to_string(e) + "x";
    h = fnv(h, key + "\n");
  }
  d.kernelId = h ? h : 1;
}

// The record buffer variable at binding (#parameters + 1).
Id recordBuffer(Context& c) {
  if (c.debug.var) return c.debug.var;
  const uint32_t binding = static_cast<uint32_t>(c.func.body().args.size()) + 1;
  Id var = c.wordBufferVariable(binding, "tvk_debug");
  c.debug.var = var;
  c.debug.binding = static_cast<int>(binding);
  return var;
}

Id wordPtr(Context& c, Id word) {
  return c.b.emit(spv::Op::OpAccessChain,
                  c.b.typePointer(spv::StorageClass::StorageBuffer, c.u32()),
                  {recordBuffer(c), c.c32(0), word});
}

// The three program ids (WorkgroupId + pid_base).
std::vector<Id> programIds(Context& c) {
  Id v3 = c.b.typeVector(c.u32(), 3);
  Id wg = c.b.emit(spv::Op::OpLoad, v3, {c.workgroupIdVar});
  std::vector<Id> pid;
  for (uint32_t a = 0; a < 3; ++a) {
    Id x = c.b.emit(spv::Op::OpCompositeExtract, c.u32(), {wg, a});
    pid.push_back(c.b.emit(spv::Op::OpIAdd, c.u32(), {x, c.loadPush(a)}));
  }
  return pid;
}

// Low and high 32 bits of register value `v` of `v`'s element type.
Result<std::pair<Id, Id>> valueBits(Context& c, const ir::Value* val, Id v) {
  auto& b = c.b;
  Id u = c.u32(), zero = c.c32(0);
  const ir::Type& t = val->type.scalar();
  auto split64 = [&](Id x64) -> std::pair<Id, Id> {
    Id u64 = b.typeInt(64);
    Id lo = b.emit(spv::Op::OpUConvert, u, {x64});
    Id sh = b.emit(spv::Op::OpShiftRightLogical, u64, {x64, b.constInt(u64, 32)});
    return {lo, b.emit(spv::Op::OpUConvert, u, {sh})};
  };
  if (t.isInt() && t.bits == 1) return std::make_pair(b.emit(spv::Op::OpSelect, u, {v, c.c32(1), zero}), zero);
  if (t.isInt() && t.bits <= 32) return std::make_pair(v, zero);
  if (t.isInt()) return split64(v);
  if (t.isFloat() && t.bits == 64) return split64(b.emit(spv::Op::OpBitcast, b.typeInt(64), {v}));
  if (t.isFloat()) return std::make_pair(b.emit(spv::Op::OpBitcast, u, {v}), zero);  // f32 registers
  if (t.isPtr()) {
    auto rt = c.regTypeOf(val);
    if (!rt.ok()) return rt.status();
    if (*rt == b.typeInt(64)) return split64(v);
    return std::make_pair(v, zero);
  }
  return Status::error("printing values of type " + t.str());
}

// Writes record `rec` (a uint32 id): kernel id, site, pid, index, value bits.
void writeRecord(Context& c, Id rec, uint32_t site, const std::vector<Id>& pid, Id index,
                 std::pair<Id, Id> bits) {
  auto& b = c.b;
  Id u = c.u32();
  Id base = b.emit(spv::Op::OpIAdd, u,
                   {b.emit(spv::Op::OpIMul, u, {rec, c.c32(kDebugRecordWords)}),
                    c.c32(kDebugHeaderWords)});
  const Id words[kDebugRecordWords] = {c.c32(c.debug.kernelId), c.c32(site), pid[0], pid[1],
                                       pid[2], index, bits.first, bits.second};
  for (uint32_t w = 0; w < kDebugRecordWords; ++w) {
    Id at = w ? b.emit(spv::Op::OpIAdd, u, {base, c.c32(w)}) : base;
    b.emitVoid(spv::Op::OpStore, {wordPtr(c, at), words[w]});
  }
}

// Claims `count` records (uint32 id) with one atomic add; returns the first slot.
Id claim(Context& c, Id count) {
  return c.b.emit(spv::Op::OpAtomicIAdd, c.u32(),
                  {wordPtr(c, c.c32(0)), c.c32(kScopeDevice), c.c32(kSemRelaxed), count});
}

// The record a claimed slot writes: min(slot, capacity) (the spare record past the capacity).
Id recordOf(Context& c, Id slot, Id cap) { return c.b.glsl(kGlslUMin, c.u32(), {slot, cap}); }

Status lowerPrint(Context& c, const ir::Operation& op) {
  buildSites(c);
  const uint32_t first = c.debug.firstSite.at(&op);
  std::vector<Id> pid = programIds(c);
  Id first0 = c.b.emit(spv::Op::OpIEqual, c.boolean(), {c.layouts.invocation(), c.c32(0)});
  if (op.numOperands() == 0) {
    return c.flow.ifThen(first0, [&]() -> Status {
      Id slot = claim(c, c.c32(1));
      Id cap = c.b.emit(spv::Op::OpLoad, c.u32(), {wordPtr(c, c.c32(1))});
      writeRecord(c, recordOf(c, slot, cap), first, pid, c.c32(0), {c.c32(0), c.c32(0)});
      return Status();
    });
  }
  for (size_t i = 0; i < op.operands.size(); ++i) {
    const ir::Value* v = op.operand(static_cast<int>(i));
    if (c.fragments(v)) return c.unsupported(op, "printing a tt.dot accumulator held in fragments");
    const bool tensor = v->type.isTensor();
    const uint32_t n = tensor ? c.layouts.slots(v) : 1;
    Id owner = tensor ? c.layouts.ownerCond(v->type.shape) : first0;
    std::vector<std::pair<Id, Id>> bits;
    for (uint32_t r = 0; r < n; ++r) {
      auto vb = valueBits(c, v, c.at(v, r));
      if (!vb.ok()) return c.unsupported(op, vb.status().message());
      bits.push_back(*vb);
    }
    TVK_RETURN_IF_ERROR(c.flow.ifThen(owner, [&]() -> Status {
      Id slot = claim(c, c.c32(n));
      Id cap = c.b.emit(spv::Op::OpLoad, c.u32(), {wordPtr(c, c.c32(1))});
      for (uint32_t r = 0; r < n; ++r) {
        Id at = r ? c.b.emit(spv::Op::OpIAdd, c.u32(), {slot, c.c32(r)}) : slot;
        Id index = tensor ? c.layouts.slotLinear(v->type.shape, r) : c.c32(0);
        writeRecord(c, recordOf(c, at, cap), first + static_cast<uint32_t>(i), pid, index, bits[r]);
      }
      return Status();
    }));
  }
  return Status();
}

Status lowerAssert(Context& c, const ir::Operation& op) {
  buildSites(c);
  const uint32_t site = c.debug.firstSite.at(&op);
  auto& b = c.b;
  Id u = c.u32(), bt = c.boolean();
  const ir::Value* cond = op.operand(0);
  const bool tensor = cond->type.isTensor();
  const uint32_t n = tensor ? c.layouts.slots(cond) : 1;
  Id owner = tensor ? c.layouts.ownerCond(cond->type.shape)
                    : b.emit(spv::Op::OpIEqual, bt, {c.layouts.invocation(), c.c32(0)});
  std::vector<Id> failed;
  Id any = 0;
  for (uint32_t r = 0; r < n; ++r) {
    Id f = b.emit(spv::Op::OpLogicalNot, bt, {c.at(cond, r)});
    failed.push_back(f);
    any = any ? b.emit(spv::Op::OpLogicalOr, bt, {any, f}) : f;
  }
  return c.flow.ifThen(c.flow.andCond(any, owner), [&]() -> Status {
    std::vector<Id> ones;
    Id count = 0;
    for (Id f : failed) {
      ones.push_back(b.emit(spv::Op::OpSelect, u, {f, c.c32(1), c.c32(0)}));
      count = count ? b.emit(spv::Op::OpIAdd, u, {count, ones.back()}) : ones.back();
    }
    b.emit(spv::Op::OpAtomicIAdd, u,
           {wordPtr(c, c.c32(2)), c.c32(kScopeDevice), c.c32(kSemRelaxed), count});
    Id slot = claim(c, count);
    Id cap = b.emit(spv::Op::OpLoad, u, {wordPtr(c, c.c32(1))});
    std::vector<Id> pid = programIds(c);
    Id prefix = c.c32(0);
    for (uint32_t r = 0; r < n; ++r) {
      Id pos = recordOf(c, b.emit(spv::Op::OpIAdd, u, {slot, prefix}), cap);
      Id rec = b.emit(spv::Op::OpSelect, u, {failed[r], pos, cap});
      Id index = tensor ? c.layouts.slotLinear(cond->type.shape, r) : c.c32(0);
      writeRecord(c, rec, site, pid, index, {c.c32(0), c.c32(0)});
      prefix = b.emit(spv::Op::OpIAdd, u, {prefix, ones[r]});
    }
    return Status();
  });
}

}  // namespace

void registerDebugOps(Registry& r) {
  registerLowering(r, "tt.print", lowerPrint);
  registerLowering(r, "tt.assert", lowerAssert);
}

}  // namespace tvk::lower
