package memory

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// firstParagraph returns the first non-blank paragraph of s on one line,
// shortened to at most max bytes.
func firstParagraph(s string, max int) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return shorten(strings.Join(strings.Fields(s), " "), max)
}

// shorten cuts s to at most max bytes at a rune boundary, marking the cut
// with "...".
func shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 3 {
		return runePrefix(s, max)
	}
	return runePrefix(s, max-3) + "..."
}

// runePrefix returns the longest prefix of s of at most n bytes that ends on
// a rune boundary.
func runePrefix(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n <= 0 {
		return ""
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// runeSuffix returns the longest suffix of s of at most n bytes that starts
// on a rune boundary.
func runeSuffix(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n <= 0 {
		return ""
	}
	i := len(s) - n
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	return s[i:]
}

// elideMarker is the line that replaces elided text.
func elideMarker(removed int) string {
	return "\n[... " + strconv.Itoa(removed) + " chars elided ...]\n"
}

// minKept is the least text worth keeping around an elision marker; below
// it a piece is omitted instead.
const minKept = 48

// elide shortens s to at most n bytes by cutting out its middle and putting
// a marker there. headShare (0..1) is the fraction of the kept text taken
// from the head; the rest comes from the tail. Cuts snap to line boundaries
// when one is near, and always to rune boundaries. ok is false when n is
// too small to keep minKept bytes, in which case s should be omitted.
func elide(s string, n int, headShare float64) (out string, ok bool) {
	if len(s) <= n {
		return s, true
	}
	// The marker's length depends on the count it prints; the count is at
	// most len(s), so reserving for that many digits is always enough.
	keep := n - len(elideMarker(len(s)))
	if keep < minKept {
		return "", false
	}
	headN := int(float64(keep) * headShare)
	tailN := keep - headN
	head := runePrefix(s, headN)
	if i := strings.LastIndexByte(head, '\n'); i >= len(head)/2 {
		head = head[:i]
	}
	tail := runeSuffix(s, tailN)
	if i := strings.IndexByte(tail, '\n'); i >= 0 && i < len(tail)/2 {
		tail = tail[i+1:]
	}
	removed := len(s) - len(head) - len(tail)
	return head + elideMarker(removed) + tail, true
}
