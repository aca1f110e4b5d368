package memory

import (
	"regexp"
	"strings"
)

// exceptionRe matches a Python exception line such as
// "ValueError: could not convert string to float: 'a'" or
// "sklearn.exceptions.NotFittedError: ...".
var exceptionRe = regexp.MustCompile(`^((?:[A-Za-z_][A-Za-z0-9_]*\.)*[A-Za-z_][A-Za-z0-9_]*(?:Error|Exception|Interrupt|Exit|Iteration)|Error)(?::\s*(.*))?$`)

// Patterns that make a message's shape independent of its particulars.
var (
	quotedRe = regexp.MustCompile(`'[^']*'|"[^"]*"`)
	pathRe   = regexp.MustCompile(`(?:[A-Za-z]:)?(?:[/\\][\w.\-]+){2,}`)
	hexRe    = regexp.MustCompile(`\b0x[0-9a-fA-F]+\b`)
	numberRe = regexp.MustCompile(`[-+]?\b\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b`)
)

// maxSignature bounds the length of a normalised error.
const maxSignature = 160

// errorLine returns the most informative raw error line of a node: the last
// exception line of its Error or Output, else the first line of Error or
// Summary.
func errorLine(n Node) string {
	for _, s := range []string{n.Error, n.Output} {
		if line, ok := lastException(s); ok {
			return line
		}
	}
	for _, s := range []string{n.Error, n.Summary} {
		if line := firstNonBlank(s); line != "" {
			return line
		}
	}
	return "unknown error"
}

// lastException finds the last line of s that looks like a Python exception.
func lastException(s string) (string, bool) {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if exceptionRe.MatchString(line) {
			return line, true
		}
	}
	return "", false
}

func firstNonBlank(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			return line
		}
	}
	return ""
}

// NormalizeError reduces an error text to its shape so that recurring errors
// group together: the exception type without its module path, and the
// message with quoted strings, paths, hex addresses and numbers replaced by
// <str>, <path>, <hex> and <num>, whitespace collapsed, at most 160 bytes.
// Text without an exception line is normalised from its first non-blank
// line. An empty text gives "".
func NormalizeError(text string) string {
	line, ok := lastException(text)
	if !ok {
		line = firstNonBlank(text)
		if line == "" {
			return ""
		}
		return shorten(messageShape(line), maxSignature)
	}
	m := exceptionRe.FindStringSubmatch(line)
	typ := m[1]
	if i := strings.LastIndexByte(typ, '.'); i >= 0 {
		typ = typ[i+1:]
	}
	msg := messageShape(m[2])
	if msg == "" {
		return shorten(typ, maxSignature)
	}
	return shorten(typ+": "+msg, maxSignature)
}

func messageShape(s string) string {
	s = quotedRe.ReplaceAllString(s, "<str>")
	s = pathRe.ReplaceAllString(s, "<path>")
	s = hexRe.ReplaceAllString(s, "<hex>")
	s = numberRe.ReplaceAllString(s, "<num>")
	return strings.Join(strings.Fields(s), " ")
}

// errorSignature is the normalised error of a buggy node.
func errorSignature(n Node) string {
	return NormalizeError(errorLine(n))
}
