// The kernel's shared-memory scratch: one Workgroup array of uint32 words, sized by the
// shared-memory plan (analysis/smem_plan.h) and created on first use, that every exchange of
// the lowering (reductions, scans, layout conversions, dot staging) addresses by word. A
// register value takes one word (64-bit types two, low word first; bools 0/1).
//
// Barrier elision: an op asks `barrierNeeded` before each barrier it would emit. The scratch
// remembers which words were accessed since the last barrier: the allocations
// (analysis/smem_plan.h) of the ops that declared theirs with `enterRegion`, or "anything" for
// an access outside a declared region. That record is exact only in straight-line code: once a
// new basic block starts after the last barrier (a branch, a loop, a merge), every barrier is
// needed. So a barrier is left out where the op's words were not accessed since the last
// barrier of the same block, and before the kernel's first access outside loops (nothing
// earlier in the program accessed scratch and nothing repeats it): the first exchange of a
// kernel, and consecutive reductions in alternating allocations (write A, barrier, read A;
// write B, barrier, read B: every invocation's reads of A precede its arrival at the second
// barrier). Accesses in the prologue (which runs first) would break that order: the lowering
// reports them as internal errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "analysis/smem_plan.h"
#include "ir/ir.h"
#include "spirv/module_builder.h"
#include "support/status.h"

namespace tvk::lower {

using spirv::Id;

/// The scratch array of one kernel.
class Scratch {
 public:
  Scratch(spirv::ModuleBuilder& b, const analysis::SmemPlan& plan) : b_(b), plan_(plan) {}

  /// Pointer to word `word` (Workgroup uint32), creating the array if needed.
  Id ptr(Id word);
  /// Stores register value `v` of register type `regT` at word `word`.
  Status store(Id word, Id regT, Id v);
  /// Loads a register value of register type `regT` from word `word` (error before any store).
  Result<Id> load(Id word, Id regT);
  /// Word of element `elem` in an array of `words`-word elements starting at word `base`:
  /// base + elem * words.
  Id word(uint32_t base, Id elem, uint32_t words);
  /// First word of `op`'s allocation in the plan.
  Result<uint32_t> base(const ir::Operation& op) const;
  /// Bytes of `op`'s allocation in the plan (0: none).
  uint32_t bytes(const ir::Operation& op) const {
    const Region a = allocOf(op);
    return a.second - a.first;
  }

  /// The function's entry block starts (nothing accessed yet: its record is exact).
  void functionEntry(Id entryBlock) { clean_ = entryBlock; }
  /// A barrier was just emitted.
  void atBarrier();
  /// Byte range [first, second) of an op's allocation ({0, 0}: none declared).
  using Region = std::pair<uint32_t, uint32_t>;
  /// Whether a barrier is needed before `op` accesses its allocation: some of its words
  /// may have been accessed since the last barrier (see the top of the file).
  bool barrierNeeded(const ir::Operation& op) const { return barrierNeeded(allocOf(op)); }
  /// The same for the byte range `r` (an op that knows which part of its allocation it uses).
  bool barrierNeeded(Region r) const;
  /// A barrier was left out (barrierNeeded said no): a loop-head barrier whose window is still
  /// open must then stay, since that decision relied on it.
  void barrierLeftOut();
  /// The accesses that follow stay in byte range `r` (inside the current op's allocation),
  /// until the op's RegionScope ends or another region is declared.
  void declareRegion(Region r) { region_ = r; }
  /// The accesses that follow stay in `op`'s allocation (until the RegionScope around the
  /// op's lowering ends).
  void enterRegion(const ir::Operation& op);
  /// While it lives, the accesses are outside any declared region; then back in the one
  /// before (Context::lowerOp: an op lowered inside another, a combine or a loop body, has its
  /// own accesses, and the outer op's continue in its region after).
  class RegionScope {
   public:
    explicit RegionScope(Scratch& s) : s_(s), outer_(std::exchange(s.region_, Region{0, 0})) {}
    ~RegionScope() { s_.region_ = outer_; }
    RegionScope(const RegionScope&) = delete;
    RegionScope& operator=(const RegionScope&) = delete;

   private:
    Scratch& s_;
    Region outer_;
  };
  /// An access was emitted into the prologue: it would run before barriers already left out
  /// (the lowering reports it as an internal error; only index math goes there).
  bool prologueAccess() const { return prologueAccess_; }

  // Loop-head barriers. A loop body whose first scratch event is a barrier before a staging
  // that writes only region S (a cooperative-matrix dot's operands, lower/dot_coopmat.cc) needs
  // that barrier against the accesses before it: the previous iteration's, after the body's
  // last barrier, and on the first iteration the code before the loop. lowerFor
  // (lower/control_flow.cc) emits a barrier before the loop as well; when the body ends in the
  // block of its last barrier (its accesses since then exactly known) and those accesses miss
  // S, the head barrier goes (attention's K staging, with V staged apart: one workgroup barrier
  // an iteration fewer), else the one before the loop does (ModuleBuilder::dropBarrier).

  /// The body of a loop starts (block `block`, builder loop depth `depth`); `pre`: the body word
  /// of the barrier emitted before the loop (SIZE_MAX: none).
  void beginLoopBody(Id block, size_t depth, size_t pre);
  /// True while the innermost loop body has neither accessed scratch nor passed a barrier and
  /// is still in its first block.
  bool loopHeadOpen() const;
  /// The innermost body's first barrier starts at body word `at`, and the accesses until the
  /// next barrier stay in `staged` (checked at that barrier).
  void loopHeadBarrier(size_t at, Region staged);
  /// Ends the innermost loop body, its back edge next (`single`: the body was emitted once, not
  /// unrolled). Returns the body word of the barrier to drop: the head one where it may go, else
  /// the one before the loop (SIZE_MAX: neither was emitted).
  size_t endLoopBody(bool single);

 private:
  spirv::ModuleBuilder& b_;
  const analysis::SmemPlan& plan_;
  Id var_ = 0;
  // Barrier elision: the block in which `touched_` is exact (0: none), the byte ranges
  // accessed since the last barrier, whether some access had no declared range, and the
  // declared range of the current op ({0, 0}: none).
  Id clean_ = 0;
  std::vector<Region> touched_;
  bool unknown_ = false;
  Region region_{0, 0};
  bool accessed_ = false;  // any access emitted yet
  struct LoopHead {
    Id block = 0;
    size_t depth = 0;
    size_t pre = SIZE_MAX, head = SIZE_MAX;  // body words of the two barriers
    Region staged{0, 0};
    bool open = true;      // nothing accessed, no barrier yet
    bool checked = false;  // the head barrier's window ended with only `staged` accessed
    bool failed = false;
  };
  std::vector<LoopHead> heads_;
  bool prologueAccess_ = false;
  Region allocOf(const ir::Operation& op) const;  // op's plan allocation ({0, 0}: none)
  void noteAccess();
  void ensure();
  Id wordPtr(Id word);
};

}  // namespace tvk::lower
