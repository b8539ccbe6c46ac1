// The plan of a cooperative-matrix tt.dot (lower/dot_coopmat.cc): fragment shape, subgroup
// grid, K slices and the shared-memory regions of its staging, exchange and row-scale table;
// the measurement switches that the other files read; and the subgroup's fragment origins. Internal to
// the cooperative-matrix lowering (dot_coopmat.cc, dot_coopmat_plan.cc,
// dot_coopmat_exchange.cc).
#pragma once

#ifdef TVK_HAVE_COOPMAT

#include <cstdint>
#include <vector>

#include "lower/context.h"

namespace tvk::lower::coop {

constexpr uint32_t kPadWords = 4;  // 16 bytes: keeps fragment rows 16-byte aligned

// Subgroup-local exchanges (rowsLocal): a dot whose subgroup grid can split rows only does
// (planCoop), and its result exchange and row-scale table, where each subgroup then reads
// only rows that it wrote, wait at a subgroup barrier instead of a workgroup one.
// TVK_SUBGROUP_EXCHANGE=0 keeps the old grid and workgroup barriers (a measurement switch, in
// the Python cache key).
bool subgroupExchanges();

// The row-scale table as one word per row, broadcast along the fragments' columns by a
// column-major load with stride 0 (coopScaleRows); TVK_TABLE_BROADCAST=0 writes each row n
// times and loads it row-major, as before (a measurement switch, in the Python cache key).
bool tableBroadcast();

// The row-scale table's leading barrier left out where Scratch::barrierNeeded allows
// (coopScaleRows); TVK_TABLE_ELISION=0 keeps it (a measurement switch, in the Python cache key).
bool tableElision();

// The plan of one cooperative-matrix dot.
struct CoopPlan {
  CoopMatShape shape;                 // fragment shape
  uint32_t M = 0, N = 0, K = 0;       // dot shape (of each batch)
  // Batch of a 3-D dot: B independent M x N products. A's rows and B's K slices are staged
  // batch after batch (row b * M + m of A, b * kc + k of B), the result's rows likewise, and
  // each subgroup's rows lie in one batch.
  uint32_t B = 1;
  bool batched = false;  // a 3-D dot (B may be 1)
  uint32_t perWord = 2;               // operand elements per uint32 word
  uint32_t kc = 0;                    // K slice
  uint32_t strideA = 0, strideB = 0;  // words per staged row of A / B
  uint32_t aBase = 0, bBase = 0;      // first word of A / B
  uint32_t aWords = 0, bWords = 0;    // words of A's / B's staged K slice (planes included)
  // Double-buffered K slices of a pipelined dot (K / kc even): slice s of every iteration
  // is staged in buffer s % 2, buffer 1 `bufWords` words after buffer 0.
  bool dbl = false;
  uint32_t bufWords = 0;
  uint32_t wm = 1, wn = 1;            // subgroup grid
  uint32_t fm = 1, fn = 1;            // fragments per subgroup
  uint32_t chunk = 0, strideC = 0;    // result exchange: rows per chunk, words per row
  // The exchange's first word; apart: after every region the loop stages (one chunk).
  uint32_t xBase = 0;
  bool xApart = false;
  bool isInt = false;
  bool isBf16 = false;  // bf16 operands (SPV_KHR_bfloat16)
  // f32 operands split into bf16 hi + lo planes (input precision tf32 or bf16x3): four
  // products per step; the lo planes sit aLo / bLo words after the hi planes.
  bool split = false;
  uint32_t aLo = 0, bLo = 0;
  // B is a direct operand through tt.trans (DirectOperand::transposed): staged as loaded, N
  // rows of kc (strideB words each), its fragments read column-major.
  bool bT = false;
  // Operands held in fragments over the dot's loop (bit i: operand i; heldOperands).
  uint32_t held = 0;
  uint32_t rows() const { return B * M; }  // rows of the staged A and of the result
};

// The direct-operand plan of operand `i` of `op`, or null (staged from registers).
// Kernels with atomics (Context::coherent) keep their loads' coherence operands: not direct.
const analysis::DirectOperand* directOperand(Context& c, const ir::Operation& op, int i);

// The operands of `op` (bit i: operand i) that holdInvariantOperands holds in fragments: `op`
// directly in an scf.for body, of one plane and no batch; each operand defined outside that
// loop, not a direct operand, within a register budget (A first). TVK_DOT_HOLD=0: none (for
// measurements). Needs p's shape and fragment grid.
uint32_t heldOperands(Context& c, const ir::Operation& op, const CoopPlan& p);

// Finds a shape and a tiling for `op` with its allocation at word `base`; false when the op
// does not fit the cooperative-matrix path.
bool planCoop(Context& c, const ir::Operation& op, uint32_t base, CoopPlan& p);

// Plans `op` for the fragment helpers (its allocation's base in `base`); false when it does
// not take the cooperative-matrix path.
Result<bool> planFor(Context& c, const ir::Operation& op, CoopPlan& p, uint32_t& base);

// Types and this subgroup's fragment origins of a planned dot.
struct CoopFrame {
  Id tA = 0, tB = 0, tC = 0;
  std::vector<Id> fragRow, fragCol;  // first row / column of each fragment row / column
};
CoopFrame coopFrame(Context& c, const CoopPlan& p);

// Exchanges fragments `accs` to the blocked layout of `res` in row chunks through scratch at
// `base` (leading barrier unless `leadingBarrier` is false); adds slot r of `addend` to each
// element when `addend` is not null.
Result<std::vector<Id>> fragmentsToSlots(Context& c, const CoopPlan& p, const CoopFrame& f,
                                         uint32_t base, const std::vector<Id>& accs,
                                         const ir::Value* res, const ir::Value* addend,
                                         bool leadingBarrier = true);

}  // namespace tvk::lower::coop

#endif  // TVK_HAVE_COOPMAT
