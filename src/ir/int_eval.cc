#include "ir/int_eval.h"

#include <algorithm>
#include <functional>
#include <map>

namespace tvk::ir {

int64_t wrapInt(int64_t v, int bits) {
  if (bits >= 64) return v;
  if (bits == 1) return v & 1;
  uint64_t mask = (uint64_t{1} << bits) - 1, u = static_cast<uint64_t>(v) & mask;
  if ((u >> (bits - 1)) & 1) u |= ~mask;
  return static_cast<int64_t>(u);
}

uint64_t unsignedAt(int64_t v, int bits) {
  return bits >= 64 ? static_cast<uint64_t>(v) : static_cast<uint64_t>(v) & ((uint64_t{1} << bits) - 1);
}

namespace {

using IntFn = std::function<bool(int64_t, int64_t, int, int64_t&)>;

int64_t wrapAdd(uint64_t a, uint64_t b) { return static_cast<int64_t>(a + b); }

const std::map<std::string, IntFn>& intOps() {
  static const std::map<std::string, IntFn> t = {
      {"arith.addi", [](int64_t a, int64_t b, int, int64_t& r) { r = wrapAdd(uint64_t(a), uint64_t(b)); return true; }},
      {"arith.subi", [](int64_t a, int64_t b, int, int64_t& r) { r = wrapAdd(uint64_t(a), -uint64_t(b)); return true; }},
      {"arith.muli", [](int64_t a, int64_t b, int, int64_t& r) { r = static_cast<int64_t>(uint64_t(a) * uint64_t(b)); return true; }},
      {"arith.divsi", [](int64_t a, int64_t b, int, int64_t& r) { if (b == 0 || b == -1) return false; r = a / b; return true; }},
      {"arith.remsi", [](int64_t a, int64_t b, int, int64_t& r) { if (b == 0 || b == -1) return false; r = a % b; return true; }},
      {"arith.divui", [](int64_t a, int64_t b, int n, int64_t& r) { if (!unsignedAt(b, n)) return false; r = int64_t(unsignedAt(a, n) / unsignedAt(b, n)); return true; }},
      {"arith.remui", [](int64_t a, int64_t b, int n, int64_t& r) { if (!unsignedAt(b, n)) return false; r = int64_t(unsignedAt(a, n) % unsignedAt(b, n)); return true; }},
      {"arith.andi", [](int64_t a, int64_t b, int, int64_t& r) { r = a & b; return true; }},
      {"arith.ori", [](int64_t a, int64_t b, int, int64_t& r) { r = a | b; return true; }},
      {"arith.xori", [](int64_t a, int64_t b, int, int64_t& r) { r = a ^ b; return true; }},
      {"arith.maxsi", [](int64_t a, int64_t b, int, int64_t& r) { r = std::max(a, b); return true; }},
      {"arith.minsi", [](int64_t a, int64_t b, int, int64_t& r) { r = std::min(a, b); return true; }},
      {"arith.shli", [](int64_t a, int64_t b, int n, int64_t& r) { if (b < 0 || b >= n) return false; r = int64_t(uint64_t(a) << b); return true; }},
      {"arith.shrsi", [](int64_t a, int64_t b, int n, int64_t& r) { if (b < 0 || b >= n) return false; r = a >> b; return true; }},
      {"arith.shrui", [](int64_t a, int64_t b, int n, int64_t& r) { if (b < 0 || b >= n) return false; r = int64_t(unsignedAt(a, n) >> b); return true; }},
  };
  return t;
}

}  // namespace

bool isIntBinary(const std::string& op) { return intOps().count(op) != 0; }

bool evalIntBinary(const std::string& op, int64_t a, int64_t b, int bits, int64_t& r) {
  auto f = intOps().find(op);
  return f != intOps().end() && f->second(a, b, bits, r);
}

bool evalCmpI(const std::string& p, int64_t a, int64_t b, int n, bool& r) {
  uint64_t ua = unsignedAt(a, n), ub = unsignedAt(b, n);
  if (p == "eq") r = a == b;
  else if (p == "ne") r = a != b;
  else if (p == "slt") r = a < b;
  else if (p == "sle") r = a <= b;
  else if (p == "sgt") r = a > b;
  else if (p == "sge") r = a >= b;
  else if (p == "ult") r = ua < ub;
  else if (p == "ule") r = ua <= ub;
  else if (p == "ugt") r = ua > ub;
  else if (p == "uge") r = ua >= ub;
  else return false;
  return true;
}

}  // namespace tvk::ir
