//go:build !race

package mailparse

const timeScale = 1
