#pragma once
// std::ostreams over file descriptors, for the wrapper's stdout and stderr without <iostream>.
// Including <iostream> anywhere in the binary makes std::cout and friends and the classic
// std::locale be built before main (~0.1 ms before the command can start); these streams are
// built the first time something is printed, which in a normal run is never, or only after the
// command has ended.

#include <cstddef>
#include <ostream>
#include <streambuf>

namespace pushrun::runner {

// A buffered streambuf that writes to `fd` with write(2), retrying EINTR and short writes.
// Writes larger than the buffer bypass it. sync() (std::flush) and the destructor write out
// what is buffered. Errors (EPIPE, a closed descriptor) set the stream's badbit; nothing is
// retried after them. Not thread-safe: one writer, or a lock around it (Logger has one).
class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd);
  ~FdStreamBuf() override;
  FdStreamBuf(const FdStreamBuf&) = delete;
  FdStreamBuf& operator=(const FdStreamBuf&) = delete;

 protected:
  int_type overflow(int_type c) override;
  std::streamsize xsputn(const char* data, std::streamsize size) override;
  int sync() override;

 private:
  bool WriteOut();  // empties the buffer
  bool WriteAll(const char* data, std::size_t size);

  int fd_;
  char buffer_[4096];
};

// The process's standard output (fd 1), built on first use. Buffered: flush it before exit
// when what was printed matters (it is also flushed at normal exit).
std::ostream& StandardOutput();
// The process's standard error (fd 2), built on first use. Unit-buffered: every output
// operation reaches the descriptor at once.
std::ostream& StandardError();
// Flushes whichever of the two has been built, without building the other; for ending the
// process without running static destructors.
void FlushStandardStreams();

}  // namespace pushrun::runner
