// Package render turns a job into the Kubernetes objects that run it, with
// pure functions: no API calls, and the same job and the same source of
// randomness give byte-identical objects.
//
// The only randomness is the per-job cluster cookie and the salt of the
// notebook password hash, both drawn from the io.Reader given to Render
// (crypto/rand in production).
package render
