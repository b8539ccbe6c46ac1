// The kernel's shared-memory scratch: one Workgroup array of uint32 words, sized by the
// shared-memory plan (analysis/smem_plan.h) and created on first use, that every exchange of
// the lowering (reductions, scans, layout conversions, dot staging) addresses by word. A
// register value takes one word (64-bit types two, low word first; bools 0/1).
#pragma once

#include <cstdint>

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

 private:
  spirv::ModuleBuilder& b_;
  const analysis::SmemPlan& plan_;
  Id var_ = 0;
  void ensure();
  Id wordPtr(Id word);
};

}  // namespace tvk::lower
