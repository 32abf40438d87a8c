// Package mailcmd reads the commands an agent writes on their own lines at the top of a reply by
// mail — "#close", "#assign billing", "#snooze 3d" — and separates them from the reply's text. It
// is pure: whether a command may run, and what it does, is the ticket store's business.
package mailcmd

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/postdesk/postdesk/tickets/rules"
)

// Command is one command line.
type Command struct {
	Name  string    // close, reopen, assign, priority, tag, untag, snooze, note, send, merge, reply
	Arg   string    // the value as written ("" for close, reopen, note)
	Line  string    // the line as written, for error messages
	Until time.Time // for snooze: when the ticket returns
}

// Parsed is an agent's reply split into its commands and its text.
type Parsed struct {
	Commands []Command
	// Body is the reply without the command lines: what is posted and sent.
	Body string
	// Errors says, one line each, which command lines could not be read. When there is any, no
	// command may run.
	Errors []string
}

// Note reports whether the reply is an internal note (#note).
func (p Parsed) Note() bool {
	return slices.ContainsFunc(p.Commands, func(c Command) bool { return c.Name == "note" })
}

// Usage lists the accepted commands, for the error mail.
var Usage = []string{
	"#close",
	"#reopen",
	"#assign <agent email | department | me>",
	"#priority <low | normal | high | urgent>",
	"#tag <name>",
	"#untag <name>",
	"#snooze <2h | 3d | YYYY-MM-DD>",
	"#note",
	"#send",
	"#merge <ticket number>",
	"#reply <saved reply's name>",
}

// Priorities are the values #priority accepts: the tickets' (see rules.Priorities).
var Priorities = rules.Priorities

// A tag: a letter or digit, then letters, digits and . _ : / - (at most 64 bytes).
var tagRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}._:/-]*$`)

// MaxTagBytes is the longest tag, in bytes.
const MaxTagBytes = 64

// MaxCommands bounds what one mail may ask: more lines are an error, not a loop.
const MaxCommands = 20

// Parse reads the command lines at the top of text (blank lines between them allowed); the first
// other line ends them. now is the time relative snoozes count from.
func Parse(text string, now time.Time) Parsed {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(text, "\n")
	var p Parsed
	i := 0
	for ; i < len(lines); i++ {
		line := strings.TrimSpace(strings.TrimPrefix(lines[i], "\ufeff"))
		if line == "" {
			continue
		}
		name, rest, ok := commandLine(line)
		if !ok {
			break
		}
		if len(p.Commands)+len(p.Errors) == MaxCommands {
			p.Errors = append(p.Errors, fmt.Sprintf("more than %d command lines", MaxCommands))
			break
		}
		c, err := parseOne(name, rest, line, now)
		if err != nil {
			p.Errors = append(p.Errors, err.Error())
			continue
		}
		p.Commands = append(p.Commands, c)
	}
	if len(p.Commands) == 0 && len(p.Errors) == 0 {
		p.Body = strings.TrimSpace(text)
		return p
	}
	p.Body = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	return p
}

// commandLine splits a line that is a command attempt — "#" and a letter — into the command's
// name (lowercased) and the rest. Anything else ("#123", "# heading", prose) is not one.
func commandLine(line string) (name, rest string, ok bool) {
	after, found := strings.CutPrefix(line, "#")
	if !found {
		return "", "", false
	}
	r, _ := utf8.DecodeRuneInString(after)
	if !unicode.IsLetter(r) {
		return "", "", false
	}
	end := strings.IndexFunc(after, func(r rune) bool { return !unicode.IsLetter(r) && r != '-' })
	if end < 0 {
		end = len(after)
	}
	return strings.ToLower(after[:end]), after[end:], true
}

func parseOne(name, rest, line string, now time.Time) (Command, error) {
	bad := func(format string, a ...any) (Command, error) {
		return Command{}, fmt.Errorf("%q: %s", line, fmt.Sprintf(format, a...))
	}
	// The value is separated by any space (a no-break space from a rich-text editor too); "#close."
	// or "#note: …" is a command that cannot be read, not text to send.
	if r, _ := utf8.DecodeRuneInString(rest); rest != "" && !unicode.IsSpace(r) {
		return bad("cannot be read: write the command alone on its line, then a space and its value")
	}
	arg := strings.Join(strings.Fields(rest), " ")
	c := Command{Name: name, Arg: arg, Line: line}
	switch name {
	case "close", "reopen", "note", "send":
		if arg != "" {
			return bad("#%s takes no value", name)
		}
	case "assign":
		if arg == "" {
			return bad("say to whom: an agent's email, a department, or me")
		}
	case "priority":
		c.Arg = strings.ToLower(arg)
		if !slices.Contains(Priorities, c.Arg) {
			return bad("the priority is one of %s", strings.Join(Priorities, ", "))
		}
	case "tag", "untag":
		c.Arg = strings.ToLower(arg)
		if !tagRE.MatchString(c.Arg) || len(c.Arg) > MaxTagBytes {
			return bad("a tag is one word of letters, digits or . _ : / - (at most %d bytes)", MaxTagBytes)
		}
	case "merge":
		// The ticket to merge into the one replied to: "123" or "#123".
		c.Arg = strings.TrimPrefix(arg, "#")
		if n, err := strconv.ParseInt(c.Arg, 10, 64); err != nil || n <= 0 {
			return bad("give the number of the ticket to merge into this one")
		}
	case "reply":
		// A saved reply, inserted where the line is (tickets knows which exist).
		n, err := rules.SavedReplyName(arg)
		if err != nil {
			return bad("%v", err)
		}
		c.Arg = n
	case "snooze":
		until, err := SnoozeUntil(arg, now)
		if err != nil {
			return bad("%v", err)
		}
		c.Until = until
	default:
		return bad("unknown command #%s", name)
	}
	return c, nil
}

// SnoozeUntil reads a snooze value: a duration in minutes, hours, days or weeks ("90m", "2h",
// "3d", "1w") from now, or a date (YYYY-MM-DD, the start of that day in UTC). It must be in the
// future and at most a year ahead.
func SnoozeUntil(v string, now time.Time) (time.Time, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return time.Time{}, fmt.Errorf("say until when: 2h, 3d or YYYY-MM-DD")
	}
	var until time.Time
	if d, err := time.Parse("2006-01-02", v); err == nil {
		until = d.UTC()
	} else {
		unit := v[len(v)-1]
		n, err := strconv.Atoi(v[:len(v)-1])
		mult := map[byte]time.Duration{'m': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[unit]
		if err != nil || mult == 0 || n <= 0 || n > int(366*24*time.Hour/mult) {
			return time.Time{}, fmt.Errorf("snooze for 90m, 2h, 3d or 1w, or until YYYY-MM-DD")
		}
		until = now.Add(time.Duration(n) * mult)
	}
	if !until.After(now) {
		return time.Time{}, fmt.Errorf("%s is not in the future", until.Format("2006-01-02 15:04 MST"))
	}
	if until.After(now.AddDate(1, 0, 0)) {
		return time.Time{}, fmt.Errorf("snooze at most a year ahead")
	}
	return until, nil
}
