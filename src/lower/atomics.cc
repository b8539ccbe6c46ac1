// tt.atomic_rmw and tt.atomic_cas. Tensor atomics run per slot under mask AND ownership;
// the per-element work by type is in atomic_element.cc. Scalar atomics run in invocation 0;
// their old value, and that of a replicated tensor (where only owners ran the atomic), is
// broadcast through shared memory when the result is used.
#include "analysis/smem_plan.h"
#include "lower/atomic_element.h"
#include "lower/registry.h"

namespace tvk::lower {

namespace {

constexpr uint32_t kScopeDevice = 1, kScopeWorkgroup = 2;
constexpr uint32_t kSemAcquire = 0x2, kSemRelease = 0x4, kSemAcqRel = 0x8;
constexpr uint32_t kUniformMemory = 0x40;

// gpu and sys both map to Device: Vulkan has no CrossDevice scope for shaders, and a
// dispatch's buffers are only shared with the host after it completes.
uint32_t scopeOf(const ir::Operation& op) {
  return op.strAttr("scope", "gpu") == "cta" ? kScopeWorkgroup : kScopeDevice;
}

uint32_t semanticsOf(const ir::Operation& op) {
  std::string s = op.strAttr("sem", "acq_rel");
  if (s == "relaxed") return 0;
  if (s == "acquire") return kSemAcquire | kUniformMemory;
  if (s == "release") return kSemRelease | kUniformMemory;
  return kSemAcqRel | kUniformMemory;
}

// A failing compare-and-swap writes nothing: it keeps only the acquire part.
uint32_t unequalOf(uint32_t sem) {
  return (sem & (kSemAcquire | kSemAcqRel)) ? (kSemAcquire | kUniformMemory) : 0;
}

const analysis::PointerInfo* ptrInfo(Context& c, const ir::Value* v) {
  auto it = c.prov.ptrs.find(v);
  return it == c.prov.ptrs.end() ? nullptr : &it->second;
}

Status lowerAtomic(Context& c, const ir::Operation& op) {
  bool isCas = op.name == "tt.atomic_cas";
  const ir::Value* ptr = op.operand(0);
  int nVals = isCas ? 2 : 1;
  const ir::Value* mask = !isCas && op.numOperands() > 2 ? op.operand(2) : nullptr;
  const analysis::PointerInfo* pi = ptrInfo(c, ptr);
  if (!pi) return c.unsupported(op, "pointer without provenance");
  if (pi->arg < 0 && !c.addresses) return c.unsupported(op, "access through a tt.int_to_ptr address (a raw address has no buffer)");
  const ir::Type& pointee = *ptr->type.scalar().elem;
  const ir::Value* res = op.result();
  auto rt = c.regTypeOf(res);
  if (!rt.ok()) return c.unsupported(op, rt.status().message());
  AtomicSpec spec;
  spec.kind = isCas ? "cas" : op.strAttr("atomic_rmw_op");
  uint32_t sem = semanticsOf(op);
  spec.scope = c.c32(scopeOf(op));
  spec.sem = c.c32(sem);
  spec.semUnequal = c.c32(unequalOf(sem));
  bool tensor = ptr->type.isTensor();
  Id owner = tensor ? c.layouts.ownerCond(ptr->type.shape)
                    : c.b.emit(spv::Op::OpIEqual, c.boolean(), {c.layouts.invocation(), c.c32(0)});
  // Workgroup-uniform CAS loops take the element's condition themselves (atomic_element.h).
  const bool uniformLoop = !c.opts.target.casLoopAtomics &&
                           analysis::atomicUsesCasLoop(spec.kind, pointee, c.opts.target.atomicFloat32Add);
  if (uniformLoop) {
    auto base = c.scratch.base(op);
    if (!base.ok()) return base.status();
    spec.flagWord = c.c32(*base);
  }
  std::vector<Id> out;
  for (uint32_t s = 0; s < c.layouts.slots(ptr); ++s) {
    Id cond = c.flow.andCond(mask ? c.at(mask, s) : 0, owner);
    std::vector<Id> vals;
    for (int i = 0; i < nVals; ++i) vals.push_back(c.at(op.operand(1 + i), s));
    Id off = c.at(ptr, s);
    AtomicSpec elem = spec;
    elem.active = uniformLoop ? cond : 0;
    auto v = uniformLoop ? atomicElement(c, elem, pi->arg, pi->wide, pointee, off, vals)
                         : c.flow.ifValue(cond, *rt, [&]() -> Result<Id> {
                             return atomicElement(c, elem, pi->arg, pi->wide, pointee, off, vals);
                           }, c.b.constNull(*rt));
    if (!v.ok()) return c.unsupported(op, v.status().message());
    out.push_back(*v);
  }
  if (owner && !c.usesOf(res).empty()) {
    // Broadcast the owners' old values to every invocation holding a copy.
    auto base = c.scratch.base(op);
    if (!base.ok()) return base.status();
    uint32_t words = analysis::scratchWords(pointee);
    const std::vector<int64_t> shape = tensor ? ptr->type.shape : std::vector<int64_t>{};
    auto wordOf = [&](uint32_t s) {
      if (!tensor) return c.c32(*base);
      return c.scratch.word(*base, c.layouts.slotLinear(shape, s), words);
    };
    c.barrier();
    TVK_RETURN_IF_ERROR(c.flow.ifThen(owner, [&]() -> Status {
      for (uint32_t s = 0; s < out.size(); ++s)
        TVK_RETURN_IF_ERROR(c.scratch.store(wordOf(s), *rt, out[s]));
      return Status();
    }));
    c.barrier();
    for (uint32_t s = 0; s < out.size(); ++s) {
      auto v = c.scratch.load(wordOf(s), *rt);
      if (!v.ok()) return v.status();
      out[s] = *v;
    }
  }
  c.bind(res, std::move(out));
  return Status();
}

}  // namespace

void registerAtomicOps(Registry& r) {
  registerLowering(r, "tt.atomic_rmw", lowerAtomic);
  registerLowering(r, "tt.atomic_cas", lowerAtomic);
}

}  // namespace tvk::lower
