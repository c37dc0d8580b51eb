// Bridges between coroutines and blocking code.
// run_blocking: from a coroutine, run a blocking function on another executor (the server's worker
// pool) and resume on the coroutine's own executor with its result. Exceptions thrown by `fn`
// propagate to the awaiting coroutine.
// await_blocking: the other way round, for blocking callers (tests, tools): run an awaitable to
// completion on a private event loop on the calling thread; its exception is rethrown.
//
// GCC 12 caveat (miscompiled, frees twice): do not pass a temporary callable with non-trivially
// destructible captures inside the co_await expression, i.e. not
//   co_await run_blocking(ex, [text] { ... });
// name it first instead:
//   auto work = [text] { ... };
//   co_await run_blocking(ex, std::move(work));
// Lambdas capturing only references or trivial values are unaffected.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace fleetgate::http {

template <typename F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_blocking(boost::asio::any_io_executor workers, F fn) {
  using R = std::invoke_result_t<F&>;
  // Deliberately not a coroutine itself: co_spawn with use_awaitable already is the awaitable.
  return boost::asio::co_spawn(
      workers,
      [fn = std::move(fn)]() mutable -> boost::asio::awaitable<R> {
        if constexpr (std::is_void_v<R>) {
          fn();
          co_return;
        } else {
          co_return fn();
        }
      },
      boost::asio::use_awaitable);
}

template <typename T>
T await_blocking(boost::asio::awaitable<T> work) {
  boost::asio::io_context loop(1);
  std::optional<T> result;
  std::exception_ptr error;
  boost::asio::co_spawn(loop, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  loop.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace fleetgate::http
