#pragma once
// Cooperative cancellation for long operations (create, image build, waits). A SIGINT,
// SIGTERM or SIGHUP handler only sets a flag; polling loops call throw_if_cancelled(), and
// the create flow rolls back when Error(Cancelled) reaches it. Further signals never end
// the process early: a second Ctrl-C during a rollback would leave a half-made machine.
namespace machine {

// Installs SIGINT/SIGTERM/SIGHUP handlers that request cancellation.
void install_cancel_handlers();
void request_cancel() noexcept;
bool cancel_requested() noexcept;
// The exit status a cancelled command reports: 128 + the first signal that requested
// cancellation, as shells do (130 for Ctrl-C, also when request_cancel() did).
int cancel_exit_status() noexcept;
// Throws Error(Cancelled, "interrupted") once cancellation was requested, unless a
// CancelShield is alive in this process.
void throw_if_cancelled();
// Clears the flag (tests).
void reset_cancel() noexcept;

// While alive, throw_if_cancelled() does not throw: rollback and cleanup run to the end
// (their waits poll cancellation too) even though the user pressed Ctrl-C to get there.
class CancelShield {
 public:
  CancelShield() noexcept;
  ~CancelShield();
  CancelShield(const CancelShield&) = delete;
  CancelShield& operator=(const CancelShield&) = delete;
};

}  // namespace machine
