#pragma once
// CLI11 without <iostream>'s static initialiser. CLI11 2.1.2 includes <iostream> for
// App::exit() and its Timer, which pushrun never calls; including it would construct cout,
// cerr, cin and clog and the classic locale in a static constructor of the wrapper, on the way
// to every command's exec (the wrapper otherwise builds its streams only when it prints, see
// fd_stream.h). So <iostream> is replaced by the declarations CLI11 names: the same ones
// libstdc++'s <iostream> makes, without its ios_base::Init object.
// Include this instead of <CLI/CLI.hpp>; only command_line.cc does.

#include <istream>
#include <ostream>

#if defined(__GLIBCXX__) && !defined(_GLIBCXX_IOSTREAM)
#define _GLIBCXX_IOSTREAM 1
namespace std {
extern istream cin;
extern ostream cout;
extern ostream cerr;
extern ostream clog;
}  // namespace std
#endif

#include <CLI/CLI.hpp>
