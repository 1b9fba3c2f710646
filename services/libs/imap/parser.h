// The IMAP command parser (RFC 3501 §9, RFC 9051 §9, RFC 7888 LITERAL+): turns the
// lines and literals of one command into a tag, a command name and a tree of
// arguments (atoms, quoted strings, literals, parenthesised lists), under limits.
// One parser per session, used from the session's coroutine; no I/O: the session
// reads the bytes and feeds them in.
//
// Contract, as Dovecot states it for its own parser: AddLine() returns kComplete when
// a command is ready (TakeCommand()), kNeedLiteral when the line ended in a literal
// announcement: the session sends a continuation request if literal_sync(), reads
// exactly literal_size() bytes, gives them to AddLiteral() and the next line to
// AddLine(); kError when the command is malformed or over a limit (error()). After
// kComplete or kError the parser is ready for the next command.
#ifndef MAILSUITE_SERVICES_LIBS_IMAP_PARSER_H_
#define MAILSUITE_SERVICES_LIBS_IMAP_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mail::imap {

struct Arg {
  enum class Type { kAtom, kQuoted, kLiteral, kList };
  Type type = Type::kAtom;
  std::string value;      // atom text, or the string's octets (unescaped, raw literal)
  std::vector<Arg> list;  // for kList
  bool binary = false;    // a literal8 (~{n}, RFC 3516)

  bool IsAtom() const { return type == Type::kAtom; }
  bool IsList() const { return type == Type::kList; }
  bool IsString() const { return type == Type::kQuoted || type == Type::kLiteral; }
  // astring: an atom or a string (RFC 3501 "astring").
  bool IsAstring() const { return IsAtom() || IsString(); }
  // The atom NIL (case-insensitive).
  bool IsNil() const;
};

struct Command {
  std::string tag;
  std::string name;  // upper-cased; for "UID FETCH ..." the name is "FETCH" and uid is set
  bool uid = false;
  std::vector<Arg> args;
};

struct ParserLimits {
  // One line of a command, CRLF excluded (Dovecot's imap_max_line_length is 64 KiB).
  size_t max_line = 64 * 1024;
  // One literal. APPEND will need the message size limit here.
  size_t max_literal = 64 * 1024 * 1024;
  // All lines and literals of one command together.
  size_t max_command = 65 * 1024 * 1024;
  // Parenthesised list nesting, and the number of arguments at all depths.
  int max_depth = 16;
  size_t max_args = 10000;
};

enum class ParseStatus { kComplete, kNeedLiteral, kError };

struct ParseError {
  std::string tag;   // the command's tag; empty when it could not be read ("* BAD")
  std::string code;  // response code, e.g. "TOOBIG", or empty
  std::string text;  // for "tag BAD text"
  // The input can no longer be framed: a non-synchronizing literal was refused, so
  // its octets are on the way and would be read as commands. Close the connection.
  bool fatal = false;
};

class CommandParser {
 public:
  explicit CommandParser(ParserLimits limits = {});

  // One line without its CRLF.
  ParseStatus AddLine(std::string_view line);
  // After kNeedLiteral: the literal's octets, exactly literal_size() of them.
  void AddLiteral(std::string data);

  size_t literal_size() const { return literal_size_; }
  // True for {n}: the client waits for "+ ..." before sending. False for {n+}.
  bool literal_sync() const { return literal_sync_; }
  // The tag of the command being parsed, once read.
  const std::string& tag() const { return command_.tag; }

  // After kComplete; resets the parser.
  Command TakeCommand();
  // After kError.
  const ParseError& error() const { return error_; }

 private:
  enum class Stage { kTag, kName, kArgs, kLiteral };
  ParseStatus Fail(std::string text, std::string code = "", bool fatal = false);
  ParseStatus ParseArgs(std::string_view line, size_t pos);
  void Reset();

  ParserLimits limits_;
  Stage stage_ = Stage::kTag;
  Command command_;
  // stack_[0] is the top-level argument list; each open "(" pushes one.
  std::vector<std::vector<Arg>> stack_;
  bool need_separator_ = false;
  size_t total_ = 0;
  size_t args_ = 0;
  size_t literal_size_ = 0;
  bool literal_sync_ = false;
  bool literal_binary_ = false;
  ParseError error_;
};

// Atom characters (RFC 3501 ATOM-CHAR): printable ASCII except ( ) { SP % * " \ ].
bool IsAtomChar(char c);

}  // namespace mail::imap

#endif  // MAILSUITE_SERVICES_LIBS_IMAP_PARSER_H_
