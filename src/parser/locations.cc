// Location grammar of the TTIR parser: `#loc` aliases (possibly defined after use and
// referring to each other), file:line:col, names, call sites, fused and unknown locations.
#include <cctype>

#include "parser/parser_impl.h"

namespace tvk::parser {

using ir::Location;

void Parser::scanAliases() {
  for (size_t ls : lineStarts) {
    size_t p = ls;
    while (p < text.size() && (text[p] == ' ' || text[p] == '\t')) ++p;
    if (p >= text.size() || text[p] != '#') continue;
    size_t nameStart = p;
    ++p;
    while (p < text.size() && identChar(text[p])) ++p;
    std::string name = text.substr(nameStart, p - nameStart);
    while (p < text.size() && text[p] == ' ') ++p;
    if (p >= text.size() || text[p] != '=') continue;
    ++p;
    while (p < text.size() && text[p] == ' ') ++p;
    aliasPos[name] = p;
  }
}

bool Parser::resolveAlias(const std::string& name, Location& l, int depth) {
  auto cached = aliasCache.find(name);
  if (cached != aliasCache.end()) {
    l = cached->second;
    return true;
  }
  auto it = aliasPos.find(name);
  if (it == aliasPos.end()) return fail("undefined location alias " + name);
  if (resolving.count(name)) return fail("cyclic location alias " + name);
  resolving.insert(name);
  size_t save = pos;
  pos = it->second;
  bool ok = expect("loc(") && parseLocBody(l, depth + 1) && expect(")");
  pos = save;
  resolving.erase(name);
  if (!ok) return false;
  aliasCache[name] = l;
  return true;
}

/// Frames in `l`'s caller chain (itself included).
static size_t chainLength(const Location& l) {
  size_t n = 1;
  for (const Location* c = l.caller.get(); c; c = c->caller.get()) ++n;
  return n;
}

/// Most frames of one call-site chain: aliases that nest `callsite(#a at #a)` double the chain
/// at every level, so its length is capped.
static constexpr size_t kMaxCallFrames = 256;

/// Appends `caller` at the end of `l`'s caller chain.
static void attachCaller(Location& l, const Location& caller) {
  if (!l.caller) {
    l.caller = std::make_shared<const Location>(caller);
    return;
  }
  Location inner = *l.caller;
  attachCaller(inner, caller);
  l.caller = std::make_shared<const Location>(std::move(inner));
}

bool Parser::parseLocBody(Location& l, int depth) {
  if (depth > 200) return fail("location nested too deeply");
  l = Location();
  char c = peek();
  if (c == '#') {
    size_t start = pos++;
    while (pos < text.size() && identChar(text[pos])) ++pos;
    return resolveAlias(text.substr(start, pos - start), l, depth);
  }
  if (tryKeyword("unknown")) return true;
  if (tryKeyword("callsite")) {
    Location caller;
    if (!expect("(") || !parseLocBody(l, depth + 1) || !tryKeyword("at") ||
        !parseLocBody(caller, depth + 1) || !expect(")"))
      return error.empty() ? fail("malformed callsite location") : false;
    if (chainLength(l) + chainLength(caller) > kMaxCallFrames)
      return fail("callsite location chain longer than " + std::to_string(kMaxCallFrames) + " frames");
    attachCaller(l, caller);
    return true;
  }
  if (tryKeyword("fused")) {
    std::string meta;
    if (peek() == '<' && !parseAngleText(meta)) return false;
    if (!expect("[")) return false;
    bool first = true;
    do {
      Location part;
      if (!parseLocBody(part, depth + 1)) return false;
      if (first || (l.file.empty() && !part.file.empty())) l = part;
      first = false;
    } while (tryConsume(","));
    return expect("]");
  }
  if (c == '"') {
    std::string s;
    if (!parseString(s)) return false;
    if (tryConsume(":")) {
      int64_t line = 0, col = 0;
      if (!parseInt(line)) return false;
      if (tryConsume(":") && !parseInt(col)) return false;
      l.file = s;
      l.line = static_cast<int>(line);
      l.col = static_cast<int>(col);
      if (tryKeyword("to")) {  // ranges: keep the start
        int64_t ignore;
        if (tryConsume(":")) {
          if (!parseInt(ignore)) return false;
        } else if (!parseInt(ignore) || (tryConsume(":") && !parseInt(ignore))) {
          return false;
        }
      }
      return true;
    }
    if (tryConsume("(")) {
      if (!parseLocBody(l, depth + 1) || !expect(")")) return false;
    }
    l.name = s;
    return true;
  }
  return fail("malformed location");
}

bool Parser::parseOptionalLoc(Location& l) {
  if (!tryKeyword("loc")) return true;
  return expect("(") && parseLocBody(l, 0) && expect(")");
}

std::string Parser::lineUserLoc() {
  size_t save = pos;
  std::string saveErr = error;
  size_t end = text.find('\n', pos);
  if (end == std::string::npos) end = text.size();
  size_t at = text.rfind("loc(", end);
  std::string out;
  if (at != std::string::npos && at >= save) {
    pos = at + 4;
    Location l;
    if (parseLocBody(l, 0) && l.userStr() != "unknown") out = l.userStr();
  }
  pos = save;
  error = saveErr;
  if (out.empty()) out = file + ":" + std::to_string(lineOf(pos));
  return out;
}

}  // namespace tvk::parser
