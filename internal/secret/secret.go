// Package secret makes and compares the random values meetingd hands out
// (session cookies, API tokens, feed addresses, channel tokens) and hashes
// them for storage, so a copy of the database grants nothing.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// Hex is n random bytes, hex-encoded.
func Hex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails on the platforms Go supports
	return hex.EncodeToString(b)
}

// Hash is how a secret is stored: its SHA-256, hex-encoded.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Equal compares a secret someone presented with the one expected, in
// constant time. An empty expectation matches nothing.
func Equal(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
