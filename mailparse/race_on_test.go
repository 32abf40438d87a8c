//go:build race

package mailparse

// The race detector slows parsing down several times over; the time bounds
// in the tests are robustness bounds, so they scale with it.
const timeScale = 10
