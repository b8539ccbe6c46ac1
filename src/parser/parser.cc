// Entry point and text cursor of the TTIR parser.
#include "parser/parser.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "parser/parser_impl.h"
#include "support/parse_int.h"

namespace tvk::parser {

Parser::Parser(const std::string& t, const std::string& fileName) : text(t), file(fileName) {
  lineStarts.push_back(0);
  for (size_t i = 0; i < text.size(); ++i)
    if (text[i] == '\n') lineStarts.push_back(i + 1);
}

int Parser::lineOf(size_t p) const {
  auto it = std::upper_bound(lineStarts.begin(), lineStarts.end(), p);
  return static_cast<int>(it - lineStarts.begin());
}

bool Parser::fail(const std::string& msg) {
  if (error.empty()) error = file + ":" + std::to_string(lineOf(std::min(pos, text.size()))) + ": " + msg;
  return false;
}

void Parser::skipWs() {
  while (pos < text.size()) {
    char c = text[pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos;
    } else if (c == '/' && pos + 1 < text.size() && text[pos + 1] == '/') {
      while (pos < text.size() && text[pos] != '\n') ++pos;
    } else {
      break;
    }
  }
}

bool Parser::atEnd() {
  skipWs();
  return pos >= text.size();
}

char Parser::peek() {
  skipWs();
  return pos < text.size() ? text[pos] : 0;
}

bool Parser::tryConsume(const char* s) {
  skipWs();
  size_t n = std::strlen(s);
  if (text.compare(pos, n, s) != 0) return false;
  pos += n;
  return true;
}

bool Parser::tryKeyword(const char* word) {
  skipWs();
  size_t n = std::strlen(word);
  if (text.compare(pos, n, word) != 0) return false;
  if (pos + n < text.size() && identChar(text[pos + n])) return false;
  pos += n;
  return true;
}

bool Parser::expect(const char* s) {
  if (tryConsume(s)) return true;
  std::string near = text.substr(pos, 24);
  std::replace(near.begin(), near.end(), '\n', ' ');
  if (pos >= text.size()) near = "end of input";
  return fail(std::string("expected '") + s + "' near '" + near + "'");
}

bool Parser::parseIdent(std::string& out) {
  skipWs();
  if (pos >= text.size() ||
      !(std::isalpha(static_cast<unsigned char>(text[pos])) || text[pos] == '_'))
    return fail("expected identifier");
  size_t start = pos;
  while (pos < text.size() && identChar(text[pos])) ++pos;
  out = text.substr(start, pos - start);
  return true;
}

bool Parser::parseString(std::string& out) {
  skipWs();
  if (pos >= text.size() || text[pos] != '"') return fail("expected string");
  ++pos;
  out.clear();
  while (pos < text.size() && text[pos] != '"') {
    char c = text[pos++];
    if (c == '\n') return fail("unterminated string");
    if (c == '\\' && pos < text.size()) {
      char e = text[pos++];
      if (e == 'n') {
        out += '\n';
      } else if (e == 't') {
        out += '\t';
      } else if (std::isxdigit(static_cast<unsigned char>(e)) && pos < text.size() &&
                 std::isxdigit(static_cast<unsigned char>(text[pos]))) {
        Result<uint64_t> byte = parseUint64(std::string_view(text).substr(pos - 1, 2), 255, 16);
        if (!byte.ok()) return fail(byte.status().message());
        out += static_cast<char>(*byte);
        ++pos;
      } else {
        out += e;
      }
    } else {
      out += c;
    }
  }
  if (pos >= text.size()) return fail("unterminated string");
  ++pos;
  return true;
}

bool Parser::parseInt(int64_t& out) {
  skipWs();
  size_t start = pos;
  if (pos < text.size() && text[pos] == '-') ++pos;
  if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos]))) {
    pos = start;
    return fail("expected integer");
  }
  while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
  Result<int64_t> v = parseInt64(std::string_view(text).substr(start, pos - start));
  if (!v.ok()) return fail(v.status().message());
  out = *v;
  return true;
}

bool Parser::parseSymbol(std::string& out) {
  if (!expect("@")) return false;
  if (pos < text.size() && text[pos] == '"') return parseString(out);
  size_t start = pos;
  while (pos < text.size() && (identChar(text[pos]) || text[pos] == '-')) ++pos;
  if (pos == start) return fail("expected symbol name");
  out = text.substr(start, pos - start);
  return true;
}

Result<std::unique_ptr<ir::Module>> Parser::run() {
  auto m = std::make_unique<ir::Module>();
  scanAliases();
  // Top level: alias definitions, `module [attributes {...}] { ... } [loc]`, or bare ops.
  ir::Region top;
  auto blk = std::make_unique<ir::Block>();
  scopes.emplace_back();
  visibleFrom.push_back(0);
  bool sawModule = false;
  while (!atEnd()) {
    if (peek() == '#') {  // alias definition: skip the line (resolved on demand)
      while (pos < text.size() && text[pos] != '\n') ++pos;
      continue;
    }
    if (!sawModule && tryKeyword("module")) {
      sawModule = true;
      if (peek() == '@') {
        std::string symName;
        if (!parseSymbol(symName)) break;
      }
      if (tryKeyword("attributes") && !parseAttrDict(m->attrs)) break;
      if (!expect("{")) break;
      while (peek() != '}' && !atEnd() && error.empty()) parseOp(*blk);
      if (!error.empty() || !expect("}")) break;
      if (!parseOptionalLoc(m->loc)) break;
      continue;
    }
    if (peek() == '}') {
      fail("unbalanced '}'");
      break;
    }
    if (!parseOp(*blk)) break;
  }
  if (!error.empty()) return Status::error(error);
  for (auto& op : blk->ops) {
    op->parentBlock = nullptr;
    m->ops.push_back(std::move(op));
  }
  if (m->ops.empty()) return Status::error(file + ": no operations in TTIR text");
  return m;
}

Result<std::unique_ptr<ir::Module>> parseTTIR(const std::string& text,
                                              const std::string& fileName) {
  Parser p(text, fileName);
  return p.run();
}

}  // namespace tvk::parser
