#include "clean_line.h"

namespace pushrun::metrics::detail {
namespace {

// The length of the valid UTF-8 sequence at the start of `text` (2-4), or 0. Overlong forms,
// surrogates and code points past U+10FFFF are not valid.
std::size_t Utf8Length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;
    if (lead == 0xed) high = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;
    if (lead == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  // U+0080-U+009F are C1 controls: 0x9b alone is CSI on some terminals.
  if (lead == 0xc2 && byte(1) <= 0x9f) return 0;
  return length;
}

std::string Escaped(unsigned char byte) {
  constexpr char kHex[] = "0123456789abcdef";
  return {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
}

}  // namespace

std::string CleanLine(std::string_view text, std::size_t max_bytes) {
  std::string out;
  std::size_t pending_spaces = 0;  // blanks are written only once something follows them
  std::size_t skipped = 0;         // blanks in a row
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto byte = static_cast<unsigned char>(text[pos]);
    std::string piece;
    std::size_t used = 1;
    if (byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r') {
      // A run of blanks and line breaks is one space; a long run is not read to its end.
      if (++skipped > max_bytes) break;
      pending_spaces = out.empty() ? 0 : 1;
      ++pos;
      continue;
    }
    skipped = 0;
    if (byte < 0x20 || byte == 0x7f) {
      piece = Escaped(byte);
    } else if (byte < 0x80) {
      piece.assign(1, static_cast<char>(byte));
    } else if (const std::size_t length = Utf8Length(text.substr(pos)); length > 0) {
      piece.assign(text.substr(pos, length));
      used = length;
    } else {
      piece = Escaped(byte);
    }
    if (out.size() + pending_spaces + piece.size() > max_bytes) break;
    out.append(pending_spaces, ' ');
    pending_spaces = 0;
    out += piece;
    pos += used;
  }
  // A short rest of only blanks needs no note.
  const std::string_view rest = text.substr(pos);
  if (rest.size() > max_bytes || rest.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    out += "\u2026 (" + std::to_string(text.size() - pos) + " more bytes)";
  }
  return out;
}

}  // namespace pushrun::metrics::detail
