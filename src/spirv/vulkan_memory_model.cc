#ifdef TVK_HAVE_COOPMAT
#define SPV_ENABLE_UTILITY_CODE  // spv::HasResultAndType
#endif
#include "spirv/vulkan_memory_model.h"

#include <map>
#include <set>
#include <string>

#include <spirv/unified1/spirv.hpp11>

#include "spirv/module_builder.h"

namespace tvk::spirv {

#ifdef TVK_HAVE_COOPMAT
namespace {

using Words = std::vector<uint32_t>;

constexpr uint32_t kAcquire = 0x2, kRelease = 0x4, kAcqRel = 0x8, kSeqCst = 0x10;
constexpr uint32_t kStorageBits = 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800;
constexpr uint32_t kMakeAvailable = 0x2000, kMakeVisible = 0x4000;
constexpr uint32_t kNonPrivatePointer = 0x20;
constexpr uint32_t kAligned = 0x2, kMakePointerAvailable = 0x8, kMakePointerVisible = 0x10;
constexpr uint32_t kDeviceScope = 1;

uint32_t vulkanSemantics(uint32_t v) {
  if (v & kSeqCst) v = (v & ~kSeqCst) | kAcqRel;
  if (!(v & kStorageBits)) return v;
  if (v & (kRelease | kAcqRel)) v |= kMakeAvailable;
  if (v & (kAcquire | kAcqRel)) v |= kMakeVisible;
  return v;
}

// Operand positions (0 = first word after the opcode word) of scope and semantics ids.
struct SyncOperands {
  std::vector<int> scopes, semantics;
};

const std::map<spv::Op, SyncOperands>& syncTable() {
  static const std::map<spv::Op, SyncOperands> kTable = [] {
    std::map<spv::Op, SyncOperands> t;
    t[spv::Op::OpControlBarrier] = {{0, 1}, {2}};
    t[spv::Op::OpMemoryBarrier] = {{0}, {1}};
    t[spv::Op::OpAtomicStore] = {{1}, {2}};
    t[spv::Op::OpAtomicCompareExchange] = {{3}, {4, 5}};
    for (spv::Op op : {spv::Op::OpAtomicLoad, spv::Op::OpAtomicExchange, spv::Op::OpAtomicIAdd,
                       spv::Op::OpAtomicISub, spv::Op::OpAtomicSMin, spv::Op::OpAtomicUMin,
                       spv::Op::OpAtomicSMax, spv::Op::OpAtomicUMax, spv::Op::OpAtomicAnd,
                       spv::Op::OpAtomicOr, spv::Op::OpAtomicXor, spv::Op::OpAtomicFAddEXT,
                       spv::Op::OpAtomicIIncrement, spv::Op::OpAtomicIDecrement,
                       spv::Op::OpAtomicFMinEXT, spv::Op::OpAtomicFMaxEXT})
      t[op] = {{3}, {4}};
    return t;
  }();
  return kTable;
}

// Position of the memory-operands mask of a memory access, or -1 when it has none.
int memoryOperandPos(spv::Op op) {
  switch (op) {
    case spv::Op::OpLoad: return 3;
    case spv::Op::OpStore: return 2;
    case spv::Op::OpCooperativeMatrixLoadKHR: return 5;
    case spv::Op::OpCooperativeMatrixStoreKHR: return 4;
    default: return -1;
  }
}

// Position of the pointer operand of a memory access.
int pointerPos(spv::Op op) {
  return op == spv::Op::OpStore || op == spv::Op::OpCooperativeMatrixStoreKHR ? 0 : 2;
}

struct Inst {
  spv::Op op;
  Words ops;  // operands after the opcode word
};

}  // namespace

bool vulkanMemoryModelAvailable() { return true; }

std::vector<uint32_t> toVulkanMemoryModel(const std::vector<uint32_t>& words) {
  if (words.size() < 5) return words;
  std::vector<Inst> insts;
  for (size_t i = 5; i < words.size();) {
    uint32_t count = words[i] >> 16;
    if (count == 0 || i + count > words.size()) return words;
    insts.push_back({static_cast<spv::Op>(words[i] & 0xffff),
                     Words(words.begin() + i + 1, words.begin() + i + count)});
    i += count;
  }
  // Facts: result types, pointer storage classes, 32-bit integer constants.
  std::map<uint32_t, uint32_t> typeOf, ptrClass, constVal;
  std::set<uint32_t> u32Types;
  for (const Inst& in : insts) {
    bool hasResult = false, hasType = false;
    spv::HasResultAndType(in.op, &hasResult, &hasType);
    if (hasResult && hasType && in.ops.size() >= 2) typeOf[in.ops[1]] = in.ops[0];
    if (in.op == spv::Op::OpTypePointer) ptrClass[in.ops[0]] = in.ops[1];
    if (in.op == spv::Op::OpTypeInt && in.ops[1] == 32) u32Types.insert(in.ops[0]);
    if (in.op == spv::Op::OpConstant && u32Types.count(in.ops[0])) constVal[in.ops[1]] = in.ops[2];
  }
  uint32_t bound = words[3];
  uint32_t u32Type = u32Types.empty() ? 0 : *u32Types.begin();
  std::map<uint32_t, uint32_t> newConsts;  // value → id (values no constant had)
  std::map<uint32_t, uint32_t> byValue;
  for (auto [id, v] : constVal) byValue.emplace(v, id);
  auto constantFor = [&](uint32_t v) -> uint32_t {
    auto it = byValue.find(v);
    if (it != byValue.end()) return it->second;
    uint32_t id = bound++;
    byValue[v] = id;
    newConsts[v] = id;
    return id;
  };
  bool deviceScope = false;
  for (Inst& in : insts) {
    auto sync = syncTable().find(in.op);
    if (sync != syncTable().end()) {
      for (int p : sync->second.scopes) {
        auto c = constVal.find(in.ops[p]);
        if (c != constVal.end() && c->second == kDeviceScope) deviceScope = true;
      }
      for (int p : sync->second.semantics) {
        auto c = constVal.find(in.ops[p]);
        if (c == constVal.end()) continue;
        uint32_t v = vulkanSemantics(c->second);
        if (v != c->second) in.ops[p] = constantFor(v);
      }
      continue;
    }
    int mp = memoryOperandPos(in.op);
    if (mp < 0) continue;
    // Scopes of MakePointerAvailable/Visible (after the Aligned literal, in bit order).
    if (in.ops.size() > static_cast<size_t>(mp)) {
      const uint32_t mask = in.ops[mp];
      size_t q = static_cast<size_t>(mp) + 1 + ((mask & kAligned) ? 1 : 0);
      for (uint32_t bit : {kMakePointerAvailable, kMakePointerVisible}) {
        if (!(mask & bit) || q >= in.ops.size()) continue;
        auto c = constVal.find(in.ops[q++]);
        if (c != constVal.end() && c->second == kDeviceScope) deviceScope = true;
      }
    }
    uint32_t ptr = in.ops[pointerPos(in.op)];
    auto t = typeOf.find(ptr);
    if (t == typeOf.end()) continue;
    auto sc = ptrClass.find(t->second);
    if (sc == ptrClass.end() || sc->second != static_cast<uint32_t>(spv::StorageClass::Workgroup))
      continue;
    if (in.ops.size() > static_cast<size_t>(mp)) in.ops[mp] |= kNonPrivatePointer;
    else if (in.ops.size() == static_cast<size_t>(mp)) in.ops.push_back(kNonPrivatePointer);
  }
  // Reassemble: capabilities (+ VulkanMemoryModel), extensions (+ the memory model's before
  // SPIR-V 1.5), the rest, with the new constants just before the first function.
  const uint32_t version = words[1];
  Words out(words.begin(), words.begin() + 5);
  out[3] = bound;
  auto put = [&](spv::Op op, const Words& ops) {
    out.push_back(static_cast<uint32_t>((ops.size() + 1) << 16) | static_cast<uint32_t>(op));
    out.insert(out.end(), ops.begin(), ops.end());
  };
  bool capsDone = false, constsDone = false;
  for (const Inst& in : insts) {
    if (!capsDone && in.op != spv::Op::OpCapability) {
      put(spv::Op::OpCapability, {static_cast<uint32_t>(spv::Capability::VulkanMemoryModel)});
      if (deviceScope)
        put(spv::Op::OpCapability,
            {static_cast<uint32_t>(spv::Capability::VulkanMemoryModelDeviceScope)});
      if (version < 0x00010500) {
        Words name;
        appendString(name, "SPV_KHR_vulkan_memory_model");
        put(spv::Op::OpExtension, name);
      }
      capsDone = true;
    }
    if (!constsDone && in.op == spv::Op::OpFunction) {
      for (auto [v, id] : newConsts) put(spv::Op::OpConstant, {u32Type, id, v});
      constsDone = true;
    }
    if (in.op == spv::Op::OpMemoryModel) {
      put(in.op, {in.ops[0], static_cast<uint32_t>(spv::MemoryModel::Vulkan)});
      continue;
    }
    put(in.op, in.ops);
  }
  return out;
}

#else

bool vulkanMemoryModelAvailable() { return false; }

std::vector<uint32_t> toVulkanMemoryModel(const std::vector<uint32_t>& words) { return words; }

#endif

}  // namespace tvk::spirv
