#include "analysis/packed_transpose.h"

#include <cstdlib>

namespace tvk::analysis {

uint32_t packedBits(const ir::Type& t) {
  if (t.isInt() && (t.bits == 8 || t.bits == 16)) return static_cast<uint32_t>(t.bits);
  if (t.isFloat() && (t.name == "f16" || t.name == "bf16")) return 16;
  return 0;
}

std::string packedTransposeMode(uint32_t P) {
  const char* env = std::getenv("TVK_TRANSPOSE_PACKED");
  const std::string m = env ? std::string(env) : std::string();
  if (m == "0" || m == "rows" || m == "shuffle" || m == "blocks") return m;
  return P == 4 ? "blocks" : "shuffle";
}

namespace {

// Column blocks: the writer's runs whole row words; every invocation one block of R = n / P
// rows (whole column words, 4 rows a byte transpose) by P columns, the blocks tiling the tile.
bool columnBlocksFit(const Layout& l, uint32_t rows, uint32_t cols, uint32_t W) {
  const uint32_t P = 4, v = l.vec, n = l.slots, R = n / P;
  return !l.replicated && !l.repShift && v % P == 0 && cols % v == 0 && n % P == 0 && R % 4 == 0 &&
         rows % R == 0 && cols % P == 0 && uint64_t(W) * n == uint64_t(rows) * cols;
}

// The exchange: runs of P words (P^2 elements), the P rows of a block in one subgroup (lanes
// D = cols / v apart), subgroup shuffles.
bool exchangeFits(const Layout& l, uint32_t P, uint32_t cols, const PackedTransposeTarget& t) {
  const uint32_t v = l.vec, D = cols / v, W = t.invocations, S = t.subgroupSize;
  return v % (P * P) == 0 && W % D == 0 && (W / D) % P == 0 && P * D <= S && S >= 2 && W % S == 0 && t.shuffle;
}

}  // namespace

PackedTranspose choosePackedTranspose(const ir::Type& tile, const Layout& l, const PackedTransposeTarget& t,
                                      bool store) {
  const uint32_t bits = packedBits(tile.scalar());
  if (tile.shape.size() != 2 || bits == 0 || t.invocations == 0) return PackedTranspose::kNone;
  const uint32_t P = 32 / bits, v = l.vec;
  const uint32_t rows = static_cast<uint32_t>(tile.shape[0]), cols = static_cast<uint32_t>(tile.shape[1]);
  const std::string mode = packedTransposeMode(P);
  if (store && bits == 8 && mode == "blocks" && columnBlocksFit(l, rows, cols, t.invocations))
    return PackedTranspose::kColumnBlocks;
  // Runs of whole words along the rows; the v slots of a reader's run, v rows of one column.
  if (l.replicated || l.repShift || v % P != 0 || cols % v != 0 || rows % v != 0 || mode == "0")
    return PackedTranspose::kNone;
  if (mode == "rows" || mode == "blocks") return PackedTranspose::kRows;
  return exchangeFits(l, P, cols, t) ? PackedTranspose::kExchange : PackedTranspose::kNone;
}

bool transTakesPacked(const ir::Operation& op, const Layout& srcLayout, const PackedTransposeTarget& t,
                      uint64_t chunkElems) {
  if (op.name != "tt.trans" || op.numOperands() < 1) return false;
  const ir::Type& src = op.operand(0)->type;
  const ir::Attribute* order = op.attr("order");
  if (src.shape.size() != 2 || chunkElems != static_cast<uint64_t>(src.numel()) || !order ||
      order->elems.empty() || order->elems[0].i != 1)
    return false;
  return choosePackedTranspose(src, srcLayout, t, /*store=*/false) != PackedTranspose::kNone;
}

uint64_t packedTransposeWords(const ir::Type& tile) {
  const uint32_t bits = packedBits(tile.scalar());
  if (tile.shape.size() != 2 || bits == 0) return 0;
  return static_cast<uint64_t>(tile.shape[0]) * static_cast<uint64_t>(tile.shape[1]) / (32 / bits);
}

}  // namespace tvk::analysis
