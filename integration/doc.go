// Package integration tests the dinit binary end to end.
//
// TestMain builds ./cmd/dinit once (or uses the binary named by
// DINIT_TEST_BINARY, to run the suite against another build) and every test
// starts it on a service tree written into its own temporary directory, in
// one or both of two modes:
//
//   - pid1: `unshare --pid --fork --mount-proc --kill-child dinit`, so dinit is
//     PID 1 of a new PID namespace, as in a container;
//   - subreaper: dinit is a plain child of the test and registers itself as
//     a child subreaper.
//
// The pid1 mode needs root (or user namespaces) and unshare(1). Where they
// are missing the pid1 tests are skipped, unless CI=true, where they fail:
// CI must never skip silently.
//
// Tests synchronise on output lines (polling with a deadline), never on
// fixed sleeps; a sleep only appears where a test asserts that something
// does *not* happen within a period. Outputs are shown only when a test
// fails.
//
// Unless -test.parallel is given, TestMain raises it to 6: most tests wait
// for processes rather than use a CPU. The throughput tests (TestOutputTail,
// TestRepeatedShutdown) are not parallel, so they run alone.
//
// The test binary doubles as a small helper program for services (fd
// listing, zombie making, endless counting): it is re-executed with
// DINIT_TEST_HELPER set, see helpers_test.go.
package integration
