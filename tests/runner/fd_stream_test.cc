#include "pushrun/runner/fd_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

namespace {

using pushrun::runner::FdStreamBuf;

// A pipe whose read end is drained after the writes (they stay under the pipe's capacity).
struct Pipe {
  Pipe() { REQUIRE(::pipe2(fds, O_CLOEXEC) == 0); }
  ~Pipe() {
    CloseWriter();
    ::close(fds[0]);
  }
  void CloseWriter() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
  std::string Drain() {
    CloseWriter();
    std::string text;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, n);
    return text;
  }
  int fds[2] = {-1, -1};
};

}  // namespace

TEST_CASE("FdStreamBuf: buffered output reaches the descriptor on flush", "[runner][fd_stream]") {
  Pipe pipe;
  {
    FdStreamBuf buffer(pipe.fds[1]);
    std::ostream out(&buffer);
    out << "answer " << 42 << '\n';
    out << std::flush;
    CHECK(out.good());
    out << "unflushed, written by the destructor";
  }
  CHECK(pipe.Drain() == "answer 42\nunflushed, written by the destructor");
}

TEST_CASE("FdStreamBuf: writes larger than the buffer keep their order", "[runner][fd_stream]") {
  Pipe pipe;
  const std::string big(10000, 'x');
  {
    FdStreamBuf buffer(pipe.fds[1]);
    std::ostream out(&buffer);
    out << "head ";
    out.write(big.data(), static_cast<std::streamsize>(big.size()));
    out << " tail";
  }
  CHECK(pipe.Drain() == "head " + big + " tail");
}

TEST_CASE("FdStreamBuf: a failed write sets the stream's badbit", "[runner][fd_stream]") {
  FdStreamBuf buffer(-1);
  std::ostream out(&buffer);
  out << "lost" << std::flush;
  CHECK(out.bad());
}
