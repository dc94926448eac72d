#pragma once
// Cooperative cancellation for long operations (create, image build, waits). A SIGINT
// handler only sets a flag; polling loops call throw_if_cancelled(), and the create flow
// rolls back when Error(Cancelled) reaches it.
namespace machine {

// Installs SIGINT/SIGTERM handlers that request cancellation (a second signal exits at once).
void install_cancel_handlers();
void request_cancel() noexcept;
bool cancel_requested() noexcept;
// Throws Error(Cancelled, "interrupted") once cancellation was requested.
void throw_if_cancelled();
// Clears the flag (tests).
void reset_cancel() noexcept;

}  // namespace machine
