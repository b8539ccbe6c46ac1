// Status and Result<T>: error values used by every library layer (no exceptions).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace tvk {

/// An error message, or success when the message is empty.
class Status {
 public:
  /// Success.
  Status() = default;
  /// An error with the given message.
  static Status error(std::string message) {
    Status s;
    s.message_ = std::move(message);
    s.failed_ = true;
    return s;
  }
  /// True when this is success.
  bool ok() const { return !failed_; }
  /// The error message ("" on success).
  const std::string& message() const { return message_; }

 private:
  std::string message_;
  bool failed_ = false;
};

/// A value of type T, or an error Status.
template <typename T>
class Result {
 public:
  /// Wraps a value.
  Result(T value) : value_(std::move(value)) {}
  /// Wraps an error; `status` must not be ok().
  Result(Status status) : status_(std::move(status)) {}
  /// True when a value is held.
  bool ok() const { return value_.has_value(); }
  /// The error (ok() status when a value is held).
  const Status& status() const { return status_; }
  /// The held value; only valid when ok().
  T& value() { return *value_; }
  /// The held value; only valid when ok().
  const T& value() const { return *value_; }
  /// Pointer-style access to the held value.
  T* operator->() { return &*value_; }
  /// Pointer-style access to the held value.
  const T* operator->() const { return &*value_; }
  /// Dereference to the held value.
  T& operator*() { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace tvk

/// Returns early from the enclosing function when `expr` (a Status) failed.
#define TVK_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::tvk::Status tvk_status_ = (expr);    \
    if (!tvk_status_.ok()) return tvk_status_; \
  } while (0)
