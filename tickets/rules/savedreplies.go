package rules

import (
	"fmt"
	"regexp"
	"strings"
)

// A saved reply's name: a letter or digit, then letters, digits, "-" or "_"; case-insensitive
// (kept lowercased), at most MaxSavedReplyName bytes. The one rule of the name, wherever it is
// written: the API's path, the web's form, the command line, "#reply NAME" in a mail.
var savedReplyNameRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_-]*$`)

// MaxSavedReplyName is the longest name of a saved reply, in bytes.
const MaxSavedReplyName = 64

// SavedReplyName is name as saved replies are known by (trimmed, lowercased), or what is wrong
// with it.
func SavedReplyName(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "" {
		return "", fmt.Errorf("a saved reply needs a name")
	}
	if len(n) > MaxSavedReplyName || !savedReplyNameRE.MatchString(n) {
		return "", fmt.Errorf("%q is not a saved reply's name: one word of letters, digits, - or _ (at most %d bytes)", name, MaxSavedReplyName)
	}
	return n, nil
}
