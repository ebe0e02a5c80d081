// A small value-or-error type (std::expected is C++23).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace s3up {

template <typename E>
struct Unexpected {
  E error;
};

template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& e) {
  return {std::forward<E>(e)};
}

// Result<T, E> holds either a T or an E. Result<void, E> holds nothing or an E.
template <typename T, typename E = std::string>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  template <typename E2>
  Result(Unexpected<E2> u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const {
    assert(ok());
    return std::get<0>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  E& error() {
    assert(!ok());
    return std::get<1>(v_);
  }
  const E& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

template <typename E>
class Result<void, E> {
 public:
  Result() = default;
  template <typename E2>
  Result(Unexpected<E2> u) : err_(std::move(u.error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const E& error() const { return err_; }
  E& error() { return err_; }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace s3up
