#include "pushrun/runner/fd_stream.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace pushrun::runner {

FdStreamBuf::FdStreamBuf(int fd) : fd_(fd) { setp(buffer_, buffer_ + sizeof buffer_); }

FdStreamBuf::~FdStreamBuf() { WriteOut(); }

bool FdStreamBuf::WriteAll(const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool FdStreamBuf::WriteOut() {
  const std::size_t size = static_cast<std::size_t>(pptr() - pbase());
  // Dropped on failure too: keeping it would only make every later write fail again.
  setp(buffer_, buffer_ + sizeof buffer_);
  return WriteAll(buffer_, size);
}

FdStreamBuf::int_type FdStreamBuf::overflow(int_type c) {
  if (!WriteOut()) return traits_type::eof();
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  *pptr() = traits_type::to_char_type(c);
  pbump(1);
  return c;
}

std::streamsize FdStreamBuf::xsputn(const char* data, std::streamsize size) {
  const std::size_t n = static_cast<std::size_t>(size);
  if (n <= static_cast<std::size_t>(epptr() - pptr())) {
    traits_type::copy(pptr(), data, n);
    pbump(static_cast<int>(n));
    return size;
  }
  // Too big for what is left: out with the buffer, then the data in one write.
  if (!WriteOut() || !WriteAll(data, n)) return 0;
  return size;
}

int FdStreamBuf::sync() { return WriteOut() ? 0 : -1; }

namespace {

// The buffer is declared first so it outlives the stream that uses it, and its destructor
// flushes what the stream left at exit.
struct FdStream {
  FdStream(int fd, bool unit_buffered) : buffer(fd), stream(&buffer) {
    if (unit_buffered) stream.setf(std::ios_base::unitbuf);
  }
  FdStreamBuf buffer;
  std::ostream stream;
};

}  // namespace

namespace {
// Set once each stream is built, for FlushStandardStreams (which must not build them).
std::atomic<std::ostream*> built_out{nullptr};
std::atomic<std::ostream*> built_err{nullptr};
}  // namespace

std::ostream& StandardOutput() {
  static FdStream out(STDOUT_FILENO, /*unit_buffered=*/false);
  built_out.store(&out.stream);
  return out.stream;
}

std::ostream& StandardError() {
  static FdStream err(STDERR_FILENO, /*unit_buffered=*/true);
  built_err.store(&err.stream);
  return err.stream;
}

void FlushStandardStreams() {
  if (std::ostream* out = built_out.load()) out->flush();
  if (std::ostream* err = built_err.load()) err->flush();
}

}  // namespace pushrun::runner
