#include "machine/error.h"

namespace machine {

std::string_view code_name(Code code) noexcept {
  switch (code) {
    case Code::NotFound:
      return "not found";
    case Code::AlreadyExists:
      return "already exists";
    case Code::InvalidArgument:
      return "invalid argument";
    case Code::FailedPrecondition:
      return "failed precondition";
    case Code::Unavailable:
      return "unavailable";
    case Code::Internal:
      return "internal";
    case Code::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace machine
