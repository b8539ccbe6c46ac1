// tt.addptr, tt.load, tt.store, tt.int_to_ptr and tt.ptr_to_int. Masked elements never touch
// memory: each slot's access sits in a structured selection on its mask (loads yield `other`
// instead). Stores run only in the owner of a replicated element, and scalar stores only in
// invocation 0. Runs of consecutive elements move as vectors (lower/memory_runs.h). In address
// mode (Context::addresses) pointers are 64-bit byte addresses: tt.addptr adds offset ×
// element size, accesses go through PhysicalStorageBuffer pointers, and pointers may be
// loaded, stored and converted to and from integers.
#include <algorithm>

#include "analysis/smem_plan.h"
#include "lower/dot_coopmat.h"
#include "lower/memory_runs.h"
#include "lower/registry.h"
#include "lower/row_chunks.h"
#include "lower/transpose_packed.h"
#include "support/bits.h"

namespace tvk::lower {

namespace {

const analysis::PointerInfo* ptrInfo(Context& c, const ir::Value* v) {
  auto it = c.prov.ptrs.find(v);
  return it == c.prov.ptrs.end() ? nullptr : &it->second;
}


// The scalar element type a pointer value points to.
const ir::Type& pointeeOf(const ir::Value* ptr) { return *ptr->type.scalar().elem; }

const char* kRawAccess = "access through a tt.int_to_ptr address (a raw address has no buffer)";

Result<Id> addptr(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  auto pt = c.regTypeOf(op.operand(0));
  if (!t.ok()) return t;
  if (!pt.ok()) return pt;
  Id p = a[0], off = a[1];
  int offBits = op.operand(1)->type.scalar().bits;
  if (c.isAddress(op.operand(0))) {  // byte address + offset × element size
    if (offBits < 64) off = c.b.emit(spv::Op::OpSConvert, *t, {off});
    uint64_t bytes = static_cast<uint64_t>(Context::elementBytes(pointeeOf(op.result())));
    off = c.b.emit(spv::Op::OpIMul, *t, {off, c.b.constInt(*t, bytes)});
    return c.b.emit(spv::Op::OpIAdd, *t, {p, off});
  }
  if (*pt != *t) p = c.b.emit(spv::Op::OpSConvert, *t, {p});
  if (c.b.scalarBits(*t) == 64 && offBits < 64) off = c.b.emit(spv::Op::OpSConvert, *t, {off});
  if (c.b.scalarBits(*t) == 32 && offBits == 64) off = c.b.emit(spv::Op::OpUConvert, *t, {off});
  return c.b.emit(spv::Op::OpIAdd, *t, {p, off});
}

// A load whose addresses run along dimension 0 (analysis::loadTransposed), the mirror of the
// transposed store below: in chunks of Q rows (analysis::transposeChunkRows; all rows where
// they fit), every invocation loads n / K slots of the chunk in its transposed order (L =
// slotLinear(s') for s' < n / K, i = k Q + L mod Q, j = L / Q: consecutive invocations,
// consecutive addresses, runs along dimension 0 as one access), pointer, mask and `other`
// recomputed at (i, j); the values cross scratch (rows padded) into the layout's slots
// k n / K .. (k + 1) n / K - 1, which hold rows k Q .. (k + 1) Q - 1. 8-bit tiles take column
// blocks instead where they qualify (lower/transpose_packed.h, loadColumnBlocks).
Status lowerTransposedLoad(Context& c, const ir::Operation& op, const analysis::PointerInfo& pi) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* mask = op.numOperands() > 1 ? op.operand(1) : nullptr;
  const ir::Value* other = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const ir::Type& pointee = pointeeOf(ptr);
  auto rt = c.regTypeOf(op.result());
  if (!rt.ok()) return c.unsupported(op, rt.status().message());
  const analysis::AccessVector runs = c.vectors.accessOf(&op);
  // Loads the elements at (rows[s], cols[s]) whose runs of `run` slots lie along dimension 0.
  auto loadAt = [&](const std::vector<Id>& rows, const std::vector<Id>& cols, uint32_t run) -> Result<std::vector<Id>> {
    std::vector<Id> addrs, masks, others;
    for (size_t s = 0; s < rows.size(); ++s) {
      const std::vector<Id> at{rows[s], cols[s]};
      auto p = c.emitAt(ptr, at);
      if (!p.ok()) return p.status();
      addrs.push_back(*p);
      Id m = 0, o = 0;
      if (mask) {
        auto mv = c.emitAt(mask, at);
        if (!mv.ok()) return mv.status();
        m = *mv;
      }
      if (other) {
        auto ov = c.emitAt(other, at);
        if (!ov.ok()) return ov.status();
        o = *ov;
      }
      masks.push_back(m);
      others.push_back(o);
    }
    if (c.addresses && runs.alongRows && runs.width > 1) {
      analysis::AccessVector a = runs;
      a.width = std::min(a.width, run);
      return loadRuns(c, op, a, [&](uint32_t s) { return addrs[s]; }, masks, [&](uint32_t s) { return others[s]; });
    }
    std::vector<Id> vals;
    for (size_t s = 0; s < rows.size(); ++s) {
      auto v = c.flow.ifValue(masks[s], *rt, [&]() -> Result<Id> {
        return loadElement(c, pointee, pi.arg, addrs[s], pi.wide);
      }, others[s] ? others[s] : c.b.constNull(*rt));
      if (!v.ok()) return c.unsupported(op, v.status().message());
      vals.push_back(*v);
    }
    return vals;
  };
  // 8-bit tiles in column blocks (lower/transpose_packed.h) where the plan reserved their words.
  ColumnBlocks blocks;
  auto isBlocks = loadColumnBlocks(c, op, blocks, [&](const ColumnBlocks& b) { return loadAt(b.rows, b.cols, b.run); });
  if (!isBlocks.ok()) return isBlocks.status();
  if (*isBlocks) {
    c.bind(op.result(), std::move(blocks.vals));
    return Status();
  }
  auto ch = rowChunks(c, op, op.result()->type);
  if (!ch.ok()) return ch.status();
  std::vector<Id> out;
  for (uint32_t k = 0; k < ch->K; ++k) {
    std::vector<Id> rows, cols, words;
    for (uint32_t s = 0; s < ch->per; ++s) {
      const RowChunks::At a = ch->transposedAt(c, s);
      rows.push_back(c.ix(a.row).plus(k * ch->Q));
      cols.push_back(a.col);
      words.push_back(ch->word(c, a.row, a.col));
    }
    auto vals = loadAt(rows, cols, ch->Q);
    if (!vals.ok()) return vals.status();
    c.scratchBarrier(op);
    for (uint32_t s = 0; s < ch->per; ++s) TVK_RETURN_IF_ERROR(c.scratch.store(words[s], ch->rt, (*vals)[s]));
    c.scratchBarrier(op);
    for (uint32_t s = k * ch->per; s < (k + 1) * ch->per; ++s) {
      auto v = c.scratch.load(ch->layoutWord(c, s), ch->rt);
      if (!v.ok()) return v.status();
      out.push_back(*v);
    }
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

Status lowerLoad(Context& c, const ir::Operation& op) {
  auto direct = coopReadsLoad(c, op);
  if (!direct.ok()) return direct.status();
  if (*direct) return Status();  // its tt.dot performs it (lower/dot_coopmat.cc)
  const ir::Value* ptr = op.operand(0);
  const ir::Value* mask = op.numOperands() > 1 ? op.operand(1) : nullptr;
  const ir::Value* other = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  if (pi->arg < 0 && !c.addresses) return c.unsupported(op, kRawAccess);
  if (pointeeOf(ptr).isPtr() && !c.addresses)
    return c.unsupported(op, "loading pointers (the target has no buffer device addresses)");
  const ir::Type& pointee = pointeeOf(ptr);
  auto rt = c.regTypeOf(op.result());
  if (!rt.ok()) return c.unsupported(op, rt.status().message());
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  if (c.smem.allocs.count(&op)) return lowerTransposedLoad(c, op, *pi);
  if (const analysis::AccessVector a = c.vectors.accessOf(&op); a.width > 1 && c.addresses && !a.alongRows)
    return lowerLoadRuns(c, op, a);
  std::vector<Id> out;
  uint32_t n = c.layouts.slots(op.result());
  for (uint32_t s = 0; s < n; ++s) {
    Id m = mask ? c.at(mask, s) : 0;
    Id otherId = other ? c.at(other, s) : c.b.constNull(*rt);
    Id off = c.at(ptr, s);
    auto v = c.flow.ifValue(m, *rt, [&]() -> Result<Id> {
      return loadElement(c, pointee, pi->arg, off, pi->wide);
    }, otherId);
    if (!v.ok()) return c.unsupported(op, v.status().message());
    out.push_back(*v);
  }
  c.bind(op.result(), std::move(out));
  return Status();
}

// A store whose addresses run along dimension 0 (analysis::storeTransposed): slot s of each
// invocation takes the element at row-major index L in the transposed order (i = L mod rows,
// j = L / rows), so that consecutive invocations store consecutive addresses. The values
// cross scratch (written in the layout's order, rows padded: smem_plan.h), the pointer and
// mask are recomputed at (i, j).
struct StoreSlots {
  std::vector<Id> offs, vals, masks;
  uint32_t run = 0;  // elements per run along dimension 0 (0: the layout's)
};

// Address and mask of each slot at element (i[s], j[s]) of the store's tile.
Status addressSlots(Context& c, const ir::Operation& op, const std::vector<Id>& i, const std::vector<Id>& j,
                    StoreSlots& out) {
  const ir::Value* mask = op.numOperands() > 2 ? op.operand(2) : nullptr;
  for (uint32_t s = 0; s < i.size(); ++s) {
    auto p = c.emitAt(op.operand(0), {i[s], j[s]});
    if (!p.ok()) return p.status();
    Id m = 0;
    if (mask) {
      auto mv = c.emitAt(mask, {i[s], j[s]});
      if (!mv.ok()) return mv.status();
      m = *mv;
    }
    out.offs.push_back(*p);
    out.masks.push_back(m);
  }
  return Status();
}

// The word per element exchange of a transposed store, the whole tile at once (K = 1) or, where
// it does not fit in scratch, in chunks of Q rows (analysis::transposeChunkRows), each whole
// runs of the layout, so slot s lies in chunk s / (n / K) of K. Per chunk the writers put their slots of it at
// row i - k Q, then every invocation reads n / K slots of the chunk in its transposed order:
// L = slotLinear(s') for s' < n / K (one chunk's linear range), i = k Q + L mod Q,
// j = L / Q.
Result<StoreSlots> transposeWordsForStore(Context& c, const ir::Operation& op) {
  const ir::Value* val = op.operand(1);
  auto ch = rowChunks(c, op, val->type);
  if (!ch.ok()) return ch.status();
  StoreSlots out;
  std::vector<Id> is, js;
  for (uint32_t k = 0; k < ch->K; ++k) {
    c.scratchBarrier(op);
    for (uint32_t s = k * ch->per; s < (k + 1) * ch->per; ++s)
      TVK_RETURN_IF_ERROR(c.scratch.store(ch->layoutWord(c, s), ch->rt, c.at(val, s)));
    c.scratchBarrier(op);
    for (uint32_t s = 0; s < ch->per; ++s) {
      const RowChunks::At a = ch->transposedAt(c, s);
      auto v = c.scratch.load(ch->word(c, a.row, a.col), ch->rt);
      if (!v.ok()) return v.status();
      out.vals.push_back(*v);
      is.push_back(c.ix(a.row).plus(k * ch->Q));
      js.push_back(a.col);
    }
  }
  TVK_RETURN_IF_ERROR(addressSlots(c, op, is, js, out));
  return out;
}

Result<StoreSlots> transposeForStore(Context& c, const ir::Operation& op) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* val = op.operand(1);
  // 8-bit tiles in column blocks, 8- and 16-bit tiles in packed words (lower/transpose_packed.h),
  // where the plan reserved their words; else a word per element, the tile at once or in chunks
  // of rows (the same choice: analysis/smem_plan.h).
  if (c.scratch.bytes(op) >= analysis::packedTransposeWords(val->type) * 4) {
    ColumnBlocks blocks;
    auto isBlocks = transposeColumnBlocks(c, op, val, blocks);
    if (!isBlocks.ok()) return isBlocks.status();
    if (*isBlocks) {
      StoreSlots out;
      out.vals = std::move(blocks.vals);
      out.run = blocks.run;
      TVK_RETURN_IF_ERROR(addressSlots(c, op, blocks.rows, blocks.cols, out));
      return out;
    }
    std::vector<Id> packed;
    auto isPacked = transposePacked(c, op, val, packed);
    if (!isPacked.ok()) return isPacked.status();
    if (*isPacked) {  // slot s: the element at L = slotLinear(s) in the transposed order
      const std::vector<int64_t>& shape = ptr->type.shape;
      const uint32_t rows = static_cast<uint32_t>(shape[0]), rowBits = log2Ceil(rows);
      StoreSlots out;
      std::vector<Id> is, js;
      for (uint32_t s = 0; s < packed.size(); ++s) {
        Id lin = c.layouts.slotLinear(shape, s);
        is.push_back(c.ix(lin) & (rows - 1));
        js.push_back(c.ix(lin) >> rowBits);
        out.vals.push_back(packed[s]);
      }
      TVK_RETURN_IF_ERROR(addressSlots(c, op, is, js, out));
      return out;
    }
  }
  return transposeWordsForStore(c, op);
}

Status lowerStore(Context& c, const ir::Operation& op) {
  const ir::Value* ptr = op.operand(0);
  const ir::Value* val = op.operand(1);
  const ir::Value* mask = op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  if (pi->arg < 0 && !c.addresses) return c.unsupported(op, kRawAccess);
  const ir::Type& pointee = pointeeOf(ptr);
  if (pointee.isPtr() && !c.addresses)
    return c.unsupported(op, "storing pointers (the target has no buffer device addresses)");
  auto st = c.storageType(pointee);
  if (!st.ok()) return c.unsupported(op, st.status().message());
  const analysis::AccessVector runs = c.vectors.accessOf(&op);
  const bool transposed = c.smem.allocs.count(&op) > 0;
  if (runs.width > 1 && c.addresses && !runs.alongRows && !transposed)
    return lowerStoreRuns(c, op, runs);
  Id owner;
  if (ptr->type.isTensor()) {
    owner = c.layouts.ownerCond(ptr->type.shape);
  } else {
    owner = c.b.emit(spv::Op::OpIEqual, c.boolean(), {c.layouts.invocation(), c.c32(0)});
  }
  uint32_t n = c.layouts.slots(ptr);
  std::vector<Id> offs, vals, masks;
  if (transposed) {
    auto t = transposeForStore(c, op);
    if (!t.ok()) return t.status();
    // Runs along dimension 0 are consecutive slots of the scratch order (lower/memory_runs.h).
    if (runs.width > 1 && runs.alongRows && c.addresses) {
      // Column blocks run R rows: runs of min(width, R) (aligned, and the mask constant on
      // them, since they lie in the width's runs).
      analysis::AccessVector a = runs;
      if (t->run) a.width = std::min(a.width, t->run);
      return storeRuns(c, op, a, t->offs, t->vals, t->masks);
    }
    offs = std::move(t->offs), vals = std::move(t->vals), masks = std::move(t->masks);
  } else {
    for (uint32_t s = 0; s < n; ++s) {
      offs.push_back(c.at(ptr, s));
      vals.push_back(c.at(val, s));
      masks.push_back(mask ? c.at(mask, s) : 0);
    }
  }
  for (uint32_t s = 0; s < n; ++s) {
    Id cond = c.flow.andCond(masks[s], owner);
    Id off = offs[s], v = vals[s];
    Status st2 =
        c.flow.ifThen(cond, [&]() { return storeElement(c, pointee, pi->arg, off, pi->wide, v); });
    if (!st2.ok()) return c.unsupported(op, st2.message());
  }
  return Status();
}

// tt.int_to_ptr: the integer as a raw 64-bit address.
Result<Id> intToPtr(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  auto t = c.regTypeOf(op.result());
  if (!t.ok()) return t;
  if (op.operand(0)->type.scalar().bits == 64) return a[0];
  return c.b.emit(spv::Op::OpUConvert, *t, {a[0]});
}

// tt.ptr_to_int: of addresses only (with bindings, an argument's buffer address is not visible).
Result<Id> ptrToInt(Context& c, const ir::Operation& op, const std::vector<Id>& a) {
  if (!c.isAddress(op.operand(0)))
    return c.unsupported(op, "of a kernel argument's pointer (its address is not visible to a "
                             "Vulkan kernel without buffer device addresses)");
  int bits = op.result()->type.scalar().bits;
  if (bits == 64) return a[0];
  Id v = c.b.emit(spv::Op::OpUConvert, c.u32(), {a[0]});
  if (bits >= 32) return v;
  return c.b.emit(spv::Op::OpBitFieldSExtract, c.u32(), {v, c.c32(0), c.c32(bits)});
}

}  // namespace

void registerMemoryOps(Registry& r) {
  registerElementwise(r, "tt.addptr", addptr);
  registerElementwise(r, "tt.int_to_ptr", intToPtr);
  registerElementwise(r, "tt.ptr_to_int", ptrToInt);
  registerLowering(r, "tt.load", lowerLoad);
  registerLowering(r, "tt.store", lowerStore);
}

}  // namespace tvk::lower
