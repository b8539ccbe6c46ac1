#include "lower/operand_scratch.h"

namespace tvk::lower {

Id OperandScratch::word(Context& c, size_t k, Id index) const {
  return c.ix(index).times(words[k]) + base[k];
}

Result<std::vector<Id>> OperandScratch::load(Context& c, Id index) const {
  std::vector<Id> out;
  for (size_t k = 0; k < regT.size(); ++k) {
    auto v = c.scratch.load(word(c, k, index), regT[k]);
    if (!v.ok()) return v.status();
    out.push_back(*v);
  }
  return out;
}

Status OperandScratch::store(Context& c, Id index, const std::vector<Id>& vals) const {
  for (size_t k = 0; k < regT.size(); ++k)
    TVK_RETURN_IF_ERROR(c.scratch.store(word(c, k, index), regT[k], vals[k]));
  return Status();
}

Result<OperandScratch> operandScratch(Context& c, const ir::Operation& op,
                                      uint32_t elemsPerOperand) {
  auto start = c.scratch.base(op);
  if (!start.ok()) return start.status();
  OperandScratch sc;
  uint32_t next = *start;
  for (const ir::Value* v : op.operands) {
    auto t = c.regTypeOf(v);
    if (!t.ok()) return t.status();
    sc.regT.push_back(*t);
    sc.words.push_back(c.b.scalarBits(*t) == 64 ? 2 : 1);
    sc.base.push_back(next);
    next += elemsPerOperand * sc.words.back();
  }
  return sc;
}

}  // namespace tvk::lower
