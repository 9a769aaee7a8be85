// Status and Result: errors cross module boundaries as values.
//
// A Status is either OK or carries a message (already naming the file:line or
// path it is about) and a code. The code is what callers decide by (a process
// that exited while it was read is not an error worth a record); the message
// is what people read, and no caller parses it. Result<T> holds a T or a
// Status. Nothing here throws.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace trawl {

// What kind of failure a Status is. Add codes as callers need to decide by
// them; most errors are kError and only ever reported.
enum class StatusCode {
  kOk,
  kError,     // any failure that is only reported
  kNotFound,  // the object does not exist (ENOENT)
  kGone,      // the object existed and vanished while it was read (a process that exited)
  kLimit,     // a configured limit was reached (size, ratio, depth, count, time)
  kStopped,   // the scan was asked to stop (SIGINT, SIGTERM)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(StatusCode::kError, std::move(message)); }
  // REQUIRES: code != StatusCode::kOk
  static Status Error(StatusCode code, std::string message) {
    return Status(code == StatusCode::kOk ? StatusCode::kError : code, std::move(message));
  }

  bool ok() const { return !message_.has_value(); }
  explicit operator bool() const { return ok(); }
  StatusCode code() const { return code_; }
  // REQUIRES: !ok()
  const std::string& message() const { return *message_; }

 private:
  Status(StatusCode code, std::string message) : message_(std::move(message)), code_(code) {}
  std::optional<std::string> message_;
  StatusCode code_ = StatusCode::kOk;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}    // NOLINT: REQUIRES !status.ok()

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const Status& status() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace trawl
