// Package fake provides an in-memory juliarun.Client for unit tests of
// programs that use the SDK: jobs are validated and their updates checked
// as the real Client checks them, errors match the same sentinels, and
// nothing runs; the test says what runs with SetPhase and SetRunning. It
// links no test cluster.
package fake
