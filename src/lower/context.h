// The lowering context: state shared by the per-op lowerings of one kernel (the value map:
// value → per-slot SPIR-V ids or fragments; rematerialization; buffers and push constants). It
// owns the layout indexer (`layouts`, lower/layout_indexer.h), the shared-memory scratch
// (`scratch`, lower/scratch.h) and the structured control-flow helpers (`flow`,
// lower/structured_flow.h). Per-op code lives in the registry (lower/registry.h), one family
// per file.
//
// Representation: a scalar IR value is one id (uniform: every invocation computes it); a
// tensor value is one id per register slot of its layout (analysis/layout.h). Register types:
// i1 → bool; i8/i16/i32 → 32-bit int (sign-extended for i8/i16); i64 → 64-bit int;
// f16/bf16/fp8 → f32 rounded to the IR type after every op; f32/f64 as is; pointers → an
// element offset (i32, or i64 when provenance says `wide`) into the argument's buffer, or, in
// address mode (usesDeviceAddresses(target)), a 64-bit device byte address.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "analysis/layout.h"
#include "analysis/loop_accumulators.h"
#include "analysis/provenance.h"
#include "analysis/remat.h"
#include "analysis/smem_plan.h"
#include "abi/compiled_kernel.h"
#include "ir/ir.h"
#include "lower/index_math.h"
#include "lower/layout_indexer.h"
#include "lower/loop_limit.h"
#include "lower/packed_lanes.h"
#include "lower/scratch.h"
#include "lower/structured_flow.h"
#include "spirv/module_builder.h"

namespace tvk::lower {

/// False when TVK_BARRIER_ELISION=0 (a measurement switch): every scratch barrier is kept.
bool barrierElision();

using spirv::Id;

/// Where a kernel parameter lives at run time.
struct ParamSlot {
  /// Push-constant member index of the scalar value or of the buffer's base_elems word.
  uint32_t member = 0;
  /// Byte offset in the push-constant block.
  uint32_t offset = 0;
  /// True for pointer parameters.
  bool isBuffer = false;
};

/// Lowering state of one kernel.
class Context {
 public:
  /// Sets up types and builtins for `func` compiled with `opts`.
  Context(spirv::ModuleBuilder& builder, const ir::Operation& func, const CompileOptions& opts,
          const analysis::Provenance& prov, const analysis::SmemPlan& smem,
          const analysis::VectorPlan& vectors);

  /// The module being built.
  spirv::ModuleBuilder& b;
  /// The kernel.
  const ir::Operation& func;
  /// Compile options (target, numWarps).
  const CompileOptions& opts;
  /// Workgroup size W = workgroupInvocations(target, numWarps) (target.h).
  uint32_t W;
  /// Pointer provenance.
  const analysis::Provenance& prov;
  /// Address mode: every pointer is a 64-bit device byte address (usesDeviceAddresses).
  bool addresses = false;
  /// The kernel has atomics: its plain global loads and stores must see other workgroups'
  /// writes (a lock taken with atomic_cas guards them), so they are not served from a
  /// non-coherent cache: see `deviceVisible`; otherwise Volatile (address mode) or through
  /// Coherent bindings (GLSL450 memory model).
  bool coherent = false;
  /// A coherent kernel in address mode on a target with the Vulkan memory model (device
  /// scope), and a SPIR-V build that can write it: the module uses the Vulkan memory model,
  /// plain global loads are NonPrivatePointer + MakePointerVisible and stores NonPrivatePointer
  /// + MakePointerAvailable at device scope, so the acquire/release of the atomics and the
  /// barriers (which then order storage-buffer memory at device scope) carry them between
  /// workgroups (SPIR-V 1.6 section 2.18, "Memory Model"; Vulkan spec, "Memory Model").
  bool deviceVisible = false;
  /// Shared-memory plan.
  const analysis::SmemPlan& smem;
  /// Vector widths of the layout classes and of the loads and stores.
  const analysis::VectorPlan& vectors;
  /// Set while an elementwise op whose f16 result is only stored is lowered
  /// (defersF16Rounding(op)): roundTo leaves its f16 results to the store's conversion.
  bool deferF16Rounding = false;
  /// An f32 -> f16 conversion that must round to nearest even was emitted: the kernel declares
  /// RoundingModeRTE for 16-bit floats (Target::roundingRTE16).
  bool roundsF16ByMode = false;
  /// True when `op`'s f16 result may skip its rounding: its only uses store it (the stored
  /// value operand of tt.store), whose conversion rounds to nearest even on this target
  /// (Target::roundingRTE16 and float16: the mode, and f16 vectors for packed runs).
  bool defersF16Rounding(const ir::Operation& op);
  /// f16 values that may skip their rounding also include tt.dot operands (default; the
  /// measurement switch TVK_DOT_F16_DEFER=0 keeps them rounded): the cooperative-matrix
  /// staging converts them to f16 under RoundingModeRTE (dot_coopmat.cc packPair), and other
  /// dot paths round them first (operandRounded).
  static bool dotOperandsDeferF16();
  /// Notes that `v`'s f16 slots hold unrounded f32 values (an elementwise result whose rounding
  /// was deferred).
  void noteDeferredF16(const ir::Value* v) { deferredF16_.insert(v); }
  bool deferredF16(const ir::Value* v) const { return deferredF16_.count(v) > 0; }
  /// Register value `x` of `v`, rounded to f16 in integer code when its rounding was deferred.
  Result<Id> operandRounded(const ir::Value* v, Id x);
  /// Rematerializability query.
  analysis::Remat remat;
  /// Kernel parameters' push-constant placement (filled by the kernel setup).
  std::vector<ParamSlot> params;
  /// The push-constant variable and its struct member types (filled by the kernel setup).
  Id pushVar = 0;
  /// Push-constant member types, by member index.
  std::vector<Id> pushMemberTypes;
  /// The WorkgroupId builtin variable.
  Id workgroupIdVar = 0;
  /// Interface variables for OpEntryPoint.
  std::vector<Id> interfaceVars;
  /// Features the module needs (reflection).
  std::vector<std::string> features;
  /// Loop passes of the kernel so far, against the target's loop limit (lower/loop_limit.h).
  LoopBudget loopBudget;
  /// The shared-memory scratch array (lower/scratch.h).
  Scratch scratch;
  /// Which word lane each unpacked narrow element register is (lower/packed_lanes.h).
  PackedLanes lanes;
  /// Selections and counted loops, each body in its own memo scope (lower/structured_flow.h).
  StructuredFlow flow;
  /// Layouts, builtins and per-slot linear indices and coordinates (lower/layout_indexer.h).
  LayoutIndexer layouts;
  /// Binding of the runtime's status buffer once the kernel uses it, else -1 (reflection).
  int statusBinding = -1;
  /// Print and assert state (lower/debug_ops.cc): the kernel's sites, found by one walk over
  /// the kernel when the first tt.print/tt.assert is lowered, and the record buffer.
  struct Debug {
    /// The sites (reflection), in walk order.
    std::vector<DebugSite> sites;
    /// First site index of each tt.print/tt.assert.
    std::map<const ir::Operation*, uint32_t> firstSite;
    /// Hash of the entry name and the sites (Reflection::debugKernelId); 0 until built.
    uint32_t kernelId = 0;
    /// The record buffer variable (StorageBuffer, runtime array of uint32); 0 until made.
    Id var = 0;
    /// Its binding once used, else -1 (Reflection::debugBinding).
    int binding = -1;
  };
  /// Print and assert state.
  Debug debug;
  /// Module-level ids made once per kernel by name (e.g. the Private table of 2/pi's bits of
  /// the f64 sin/cos argument reduction); 0 until made.
  std::map<std::string, Id> moduleIds;

  // --- values -------------------------------------------------------------------------
  /// Binds the lowered ids of `v` (one for scalars, one per slot for tensors).
  void bind(const ir::Value* v, std::vector<Id> ids);
  /// The lowered ids of `v` (empty when not lowered).
  const std::vector<Id>& ids(const ir::Value* v) const;
  /// Slot `r` of `v`, or its only id when `v` is a scalar (broadcast). A value without ids or a
  /// slot past them gives 0 and makes the op's lowering fail with an internal error.
  Id at(const ir::Value* v, uint32_t r) const;

  // --- representations ------------------------------------------------------------------
  /// A tensor held as cooperative-matrix fragments (one id per fragment of this subgroup, in
  /// the order of `dot`'s tiling) instead of one id per slot: tt.dot accumulators carried
  /// by a loop (analysis/loop_accumulators.h) stay in this form across iterations.
  struct Fragments {
    /// The tt.dot whose fragment tiling the ids follow.
    const ir::Operation* dot = nullptr;
    /// The fragment (accumulator cooperative-matrix) type id.
    Id type = 0;
    /// Fragments per subgroup.
    uint32_t count = 0;
    /// A 1-D value of the dot's rows (lower/fragment_rows.h): one fragment per fragment row
    /// of the subgroup, every column holding the row's value.
    bool rows = false;
  };
  /// Marks `v` as held in fragments (the ids bound to it are then fragment ids).
  void setFragments(const ir::Value* v, const Fragments& f) { fragments_[v] = f; }
  /// The fragment representation of `v`, or null when `v` is held per slot.
  const Fragments* fragments(const ir::Value* v) const;
  /// The kernel's loop accumulators (found once, lazily).
  const std::vector<analysis::LoopAccumulator>& loopAccumulators();
  /// Text form of the representation choices made so far: one line per fragment value.
  std::string printRepresentations() const;

  /// Every use of `v` in the kernel as (op, operand index) (built once, lazily).
  const std::vector<std::pair<const ir::Operation*, int>>& usesOf(const ir::Value* v);

  // --- types --------------------------------------------------------------------------
  /// Register type of a scalar IR type (pointer → offset type given `wide`).
  Result<Id> regType(const ir::Type& scalar, bool wide = false);
  /// Register type of value `v`'s elements (uses provenance for pointers).
  Result<Id> regTypeOf(const ir::Value* v);
  /// 32-bit int type.
  Id u32() { return b.typeInt(32); }
  /// 32-bit float type.
  Id f32() { return b.typeFloat(32); }
  /// Bool type.
  Id boolean() { return b.typeBool(); }
  /// `v` (a uint32 id) for index arithmetic with operators (lower/index_math.h).
  Index ix(Id v) { return Index(b, v); }
  /// uint32 constant.
  Id c32(uint32_t v) { return b.u32(v); }
  /// Records a needed device feature (reflection), once.
  void needFeature(const std::string& f);

  /// Row totals of a row-path tt.reduce result in its input's layout (one id per input slot),
  /// so that broadcasting the result back along the axis needs no data movement.
  struct RowTotals {
    /// Input shape of the reduction.
    std::vector<int64_t> shape;
    /// Reduced axis.
    int axis = 0;
    /// Per input slot: the total of that slot's row.
    std::vector<Id> ids;
  };
  /// Row totals by reduce result value.
  std::map<const ir::Value*, RowTotals> rowTotals;

  // --- rematerialization ---------------------------------------------------------------
  /// The element of rematerializable `v` at `coords` (recomputed and memoized per scope).
  Result<Id> emitAt(const ir::Value* v, const std::vector<Id>& coords);
  /// Another iteration of an scf.for (analysis/dot_prefetch.h): the loop's induction variable
  /// is `iv`, its tensor inductions take their value at `iv`, and the body's values that
  /// depend on them are recomputed (memoized in `memo`, not in the scopes).
  /// Scalar iter_args take their initial values (`first`) or the values this iteration
  /// yields (recomputed from its arguments).
  struct Iteration {
    const ir::Operation* loop = nullptr;
    Id iv = 0;
    bool first = false;
    std::map<std::pair<const ir::Value*, std::vector<Id>>, Id> memo;
    std::map<const ir::Value*, Id> current;  // values recomputed in the current iteration
  };
  /// emitAt in iteration `it` (analysis::evaluableAtIteration(v) must hold); scalars too.
  Result<Id> emitAt(const ir::Value* v, const std::vector<Id>& coords, Iteration& it);
  /// Ops lowered on fragments (lower/fragment_rows.h: the softmax between two dots).
  std::set<const ir::Operation*> fragmentOps;
  /// Ops that emit nothing (the advance of a loop-carried pointer the loop does not carry,
  /// lower/control_flow.cc).
  std::set<const ir::Operation*> skippedOps;
  /// arith.mulf ops that scale the rows of a loop accumulator held in fragments, with their
  /// 1-D row scale (lower/fragments.cc; lowered by coopScaleRows, lower/dot_coopmat.h).
  std::map<const ir::Operation*, const ir::Value*> rowScaledFragments;
  /// A tensor induction (analysis/remat.h) at `coords` in the current iteration.
  Result<Id> inductionAt(const analysis::TensorInduction& ind, const std::vector<Id>& coords);
  /// The same from its initial value at those coordinates, `initAt` (computed before the
  /// loop where it is expensive: lower/dot_coopmat.cc hoists the run addresses).
  /// `iv` (when not 0) replaces the loop's current induction variable.
  Result<Id> inductionFrom(const analysis::TensorInduction& ind, Id initAt, Id iv = 0);
  /// Initial addresses of the runs of direct dot operands whose pointer is a tensor
  /// induction, computed before the loop: (tt.load, K-slice start) → one id per run index.
  std::map<std::pair<const ir::Operation*, uint32_t>, std::vector<Id>> hoistedRuns;
  /// Words of direct loads carried across their loop's iterations (lower/dot_coopmat.h
  /// coopCarriedLoads), per tt.load: those of the current iteration (the loop's phis, bound
  /// by lowerFor) and, once the dot has staged them, those it loaded for the next one (yielded).
  struct CarriedWords {
    std::vector<Id> cur, next;
  };
  std::map<const ir::Operation*, CarriedWords> carriedWords;
  /// tt.dots whose loop loaded their first operand tiles into scratch before it started:
  /// each iteration loads the next ones (analysis/dot_prefetch.h, lower/dot_coopmat.cc).
  std::set<const ir::Operation*> prefetching;
  /// Operands of cooperative-matrix tt.dots that are invariant in the scf.for around the dot,
  /// staged and loaded as fragments once before the loop (lower/dot_coopmat.cc): (tt.dot,
  /// operand 0 or 1) → fragment ids, fragment row (A) or column (B) major, K steps minor.
  std::map<std::pair<const ir::Operation*, int>, std::vector<Id>> heldFragments;
  /// Records that slot ids of a freshly lowered tensor are its values at its slot coords.
  void memoSlots(const ir::Value* v);
  /// Opens a memo scope (entering a nested block).
  void pushScope();
  /// Closes the innermost memo scope.
  void popScope();

  // --- lowering -----------------------------------------------------------------------
  /// Lowers every op of `block` in order (terminators lower to nothing; callers read them).
  Status lowerBlock(const ir::Block& block);
  /// Lowers one op through the registry.
  Status lowerOp(const ir::Operation& op);
  /// Applies the elementwise scalar function of `op` to `args` (one id per operand).
  Result<Id> scalarOp(const ir::Operation& op, const std::vector<Id>& args);
  /// `unsupported: <op> at <file>:<line>` (+ `: why`).
  Status unsupported(const ir::Operation& op, const std::string& why = "") const;
  /// Most basic blocks in the kernel's function: spirv-val's control-flow checks take time
  /// quadratic in them (8192 blocks: seconds; 37000: minutes).
  static constexpr size_t kMaxBlocks = 8192;
  /// Most words in the kernel's function (about 800,000 instructions; a copy of a 2^20-element
  /// tensor on lavapipe takes 2.5 million).
  static constexpr size_t kMaxFunctionWords = size_t{4} << 20;
  /// Error `kernel too large` when the function emitted so far (up to `op`) exceeds
  /// kMaxBlocks or kMaxFunctionWords.
  Status checkBudget(const ir::Operation& op) const;

  // --- integer helpers ------------------------------------------------------------
  /// A signed ordering (`OpSLessThan`, `OpSLessThanEqual`, `OpSGreaterThan`,
  /// `OpSGreaterThanEqual`) of two `bits`-wide integer registers. 64-bit orderings are
  /// emitted as the unsigned ordering of the operands with their sign bits flipped
  /// (x <s y  ⇔  x^2^63 <u y^2^63): Mesa's NIR (lavapipe, Debian 12's Mesa 22.3) folds
  /// `sext64(i32) <s constant` to the wrong constant, so the signed form gave wrong masks.
  Id signedCompare(spv::Op op, Id x, Id y, int bits);

  // --- memory -------------------------------------------------------------------------
  /// Loads push-constant member `member`.
  Id loadPush(uint32_t member);
  /// Pointer to element `offset` of the buffer of parameter `arg` viewed as `pointee`
  /// elements (adds the base_elems word, rescaled from the parameter's element size). In
  /// address mode `offset` is the element's 64-bit byte address and `arg` is unused: the
  /// result is a PhysicalStorageBuffer pointer (atomics take it as is; OpLoad/OpStore need
  /// memoryOperands). The one element-pointer helper of loads, stores and atomics.
  Result<Id> bufferPtr(int arg, const ir::Type& pointee, Id offset, bool wide);
  /// Memory operands OpLoad (`store` false) / OpStore of a bufferPtr need: `Aligned <element
  /// bytes>` in address mode (the alignment every element address has), none with bindings;
  /// plus the coherence operands of `coherent` / `deviceVisible` kernels. `alignment`: the
  /// bytes a vector access's address is a multiple of (0: the element's).
  std::vector<Id> memoryOperands(const ir::Type& pointee, bool store, uint32_t alignment = 0);
  /// The pointer value `v` is held as a 64-bit byte address (address mode, or a tt.int_to_ptr
  /// address in binding mode) rather than an element offset.
  bool isAddress(const ir::Value* v) const;
  /// Bytes of one `pointee` element in memory (i1 → 1, pointers → 8).
  static int elementBytes(const ir::Type& pointee);
  /// Storage type of a pointee in buffers (f16 → float16, bf16 → uint16, i1/fp8 → uint8).
  Result<Id> storageType(const ir::Type& pointee);
  /// Converts a loaded storage value to its register form.
  Result<Id> fromStorage(const ir::Type& pointee, Id v);
  /// Converts a register value to its storage form.
  Result<Id> toStorage(const ir::Type& pointee, Id v);
  /// Workgroup barrier (execution + workgroup memory, acquire-release).
  void barrier();
  /// Subgroup barrier (execution + workgroup memory at subgroup scope, acquire-release) for an
  /// exchange in which each subgroup reads only words that it wrote itself. It does not end
  /// the scratch's access record (barrier elision counts workgroup barriers only); a kernel
  /// with atomics (coherent) gets a workgroup barrier.
  void subgroupBarrier();
  /// A barrier before `op` accesses its scratch allocation, left out where no invocation can
  /// still be accessing those words (lower/scratch.h: barrier elision); the accesses that
  /// follow are `op`'s, in its allocation. Every barrier of an op that orders only its own
  /// scratch accesses goes through here.
  void scratchBarrier(const ir::Operation& op);
  /// The same for byte range `r` of the current op's allocation (the part it accesses next).
  void scratchBarrier(Scratch::Region r);
  /// A runtime-owned buffer of uint32 words (set 0, `binding`, named `name`): the loop-limit
  /// status flag, the print/assert records.
  Id wordBufferVariable(uint32_t binding, const char* name);

  /// Rounds a register value to the precision of narrow float IR type `t` (f16/bf16); other
  /// types pass through.
  Result<Id> roundTo(const ir::Type& t, Id v);

 private:
  std::map<const ir::Value*, std::vector<Id>> values_;
  /// Values whose every use is the stored value of a tt.store or a tt.dot operand (with
  /// dotOperandsDeferF16; computed on first use).
  std::set<const ir::Value*> storedOnly_;
  bool storedOnlyDone_ = false;
  std::set<const ir::Value*> deferredF16_;
  std::vector<std::map<std::pair<const ir::Value*, std::vector<Id>>, Id>> memo_;
  // emitAt's recursion, in iteration `it` when it is not null.
  Result<Id> emitAtIn(const ir::Value* v, const std::vector<Id>& coords, Iteration* it);
  Result<Id> scalarAt(const ir::Value* v, Iteration* it);
  Result<Id> currentAt(const ir::Value* v, Iteration& it);
  Result<Id> scalarOpOf(const ir::Operation& op, const std::function<Result<Id>(const ir::Value*)>& operand);
  std::map<std::pair<int, Id>, Id> bufferVars_;
  std::map<const ir::Value*, std::vector<std::pair<const ir::Operation*, int>>> uses_;
  bool usesBuilt_ = false;
  std::map<const ir::Value*, Fragments> fragments_;
  std::vector<analysis::LoopAccumulator> loopAccs_;
  bool loopAccsBuilt_ = false;
  mutable std::string broken_;  // first broken invariant seen by at() (reported by lowerOp)
};

}  // namespace tvk::lower
