// UTF-8 text rules shared by the protocol layer and the games. Every frame the server sends is a
// WebSocket text frame, and a browser closes the connection (1007) on the first one that is not
// valid UTF-8; so any text the server cuts, masks, reveals or measures is handled in whole code
// points here instead of bytes. Pure functions, no allocation except where a string is returned.
//
// Validity follows the strict UTF-8 definition: no overlong forms, no surrogates (U+D800..DFFF),
// nothing above U+10FFFF. Functions that walk text treat each byte of an invalid sequence as one
// unit of its own, so they never fail and never merge garbage into a neighbouring code point.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace roomctl::protocol {

// True if `text` is entirely well-formed UTF-8.
bool valid_utf8(std::string_view text);

// Number of code points; each byte of an invalid sequence counts as one.
std::size_t code_points(std::string_view text);

// The longest prefix of `text` that is at most `max_bytes` long and does not end inside a code
// point. Limits stay in bytes (they bound memory and frame sizes); only the cut moves back to the
// previous code-point boundary, so a valid input always gives a valid prefix.
std::string_view truncate_code_points(std::string_view text, std::size_t max_bytes);

// `text` split into its code points, each a view of 1 to 4 bytes (a lone invalid byte is its own
// element). Used to mask, reveal and compare words letter by letter.
std::vector<std::string_view> split_code_points(std::string_view text);

// `text` with every byte of an invalid sequence replaced by U+FFFD, so that text of unknown origin
// (snapshots written before these rules) can be sent again.
std::string sanitize_utf8(std::string_view text);

}  // namespace roomctl::protocol
