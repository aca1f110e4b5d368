package search

import (
	"strings"
	"unicode/utf8"
)

// What an executor reports comes from generated code: a program can print
// gigabytes, and a submission's format error can quote megabytes of it.
// These bounds keep a node's facts small wherever they go next (reviewer
// and coder prompts, checkpoints, transcripts, traces), whatever the
// executor passed through.
const (
	// MaxOutputBytes is the most of a node's output kept (its tail).
	MaxOutputBytes = 1 << 20
	// MaxFormatErrorBytes is the most of a format error kept (its head).
	MaxFormatErrorBytes = 1000
)

// Bounded returns r with Output cut to its last MaxOutputBytes and
// FormatError to its first MaxFormatErrorBytes, both valid UTF-8 with
// control characters other than newline and tab replaced by '?'.
func (r ExecResult) Bounded() ExecResult {
	if len(r.Output) > MaxOutputBytes {
		r.Output = "[... earlier output cut ...]\n" + r.Output[len(r.Output)-MaxOutputBytes:]
	}
	r.Output = printable(r.Output)
	if len(r.FormatError) > MaxFormatErrorBytes {
		r.FormatError = r.FormatError[:MaxFormatErrorBytes] + "..."
	}
	r.FormatError = printable(r.FormatError)
	return r
}

// printable replaces invalid UTF-8 and control characters (but newline,
// tab and carriage return) with '?'.
func printable(s string) string {
	clean := utf8.ValidString(s)
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7f {
			clean = false
		}
	}
	if clean {
		return s
	}
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t' && r != '\r') || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// boundError keeps a node's error text (which may quote what a
// collaborator read from the node) to 2*MaxFormatErrorBytes printable
// bytes.
func boundError(s string) string {
	if len(s) > 2*MaxFormatErrorBytes {
		s = s[:2*MaxFormatErrorBytes] + "..."
	}
	return printable(s)
}
