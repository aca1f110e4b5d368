package llm

import (
	"regexp"
	"strings"
)

// Reply is a model's answer split into its parts.
type Reply struct {
	// Reasoning is the thinking the reply carried inline (<think>...</think>),
	// without the tags; "" when none.
	Reasoning string
	// Answer is the reply without its thinking, line endings normalised.
	Answer string
	// Plan is the prose before the chosen code (or after it when there is
	// none before), trimmed.
	Plan string
	// Code is the chosen Python program; "" when the reply has none.
	Code string
	// Complete is false when the chosen code block's fence was never
	// closed, which usually means the reply was cut at the token limit.
	Complete bool
	// Blocks is the number of Python code blocks found.
	Blocks int
}

// SplitThinking separates inline thinking from the answer. Thinking ends at
// the first "</think>"; an opening "<think>" before it is dropped (servers
// whose template opens the tag themselves send only the closing one). A
// reply that opens "<think>" and never closes it is all thinking.
func SplitThinking(s string) (reasoning, answer string) {
	if i := strings.Index(s, "</think>"); i >= 0 {
		reasoning = s[:i]
		if j := strings.Index(reasoning, "<think>"); j >= 0 {
			reasoning = reasoning[j+len("<think>"):]
		}
		return strings.TrimSpace(reasoning), s[i+len("</think>"):]
	}
	if t := strings.TrimLeft(s, " \t\r\n"); strings.HasPrefix(t, "<think>") {
		return strings.TrimSpace(t[len("<think>"):]), ""
	}
	return "", s
}

// block is one fenced block of a reply.
type block struct {
	lang       string
	body       string
	start, end int // byte offsets of the whole block (fences included) in the text
	closed     bool
}

// fences finds the fenced blocks of text: a line starting (after up to three
// spaces) with three or more backticks or tildes opens a block, and the
// next line with at least as many of the same character and nothing else
// closes it. A block that is never closed runs to the end of the text.
func fences(text string) []block {
	var blocks []block
	var cur *block
	var fenceChar byte
	var fenceLen, bodyStart int
	pos := 0
	for pos < len(text) {
		lineEnd, next := lineAt(text, pos)
		line := text[pos:lineEnd]
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		if cur == nil {
			if indent <= 3 && len(trimmed) >= 3 && (trimmed[0] == '`' || trimmed[0] == '~') {
				c := trimmed[0]
				n := 0
				for n < len(trimmed) && trimmed[n] == c {
					n++
				}
				info := strings.TrimSpace(trimmed[n:])
				if n >= 3 && !(c == '`' && strings.Contains(info, "`")) {
					lang, _, _ := strings.Cut(info, " ")
					lang = strings.ToLower(strings.Trim(lang, "{}."))
					cur = &block{lang: lang, start: pos}
					fenceChar, fenceLen, bodyStart = c, n, next
				}
			}
		} else if indent <= 3 && isClosingFence(strings.TrimRight(trimmed, " \t\r"), fenceChar, fenceLen) {
			cur.body = text[bodyStart:pos]
			cur.end = next
			cur.closed = true
			blocks = append(blocks, *cur)
			cur = nil
		}
		pos = next
	}
	if cur != nil {
		if bodyStart > len(text) {
			bodyStart = len(text)
		}
		cur.body = text[bodyStart:]
		cur.end = len(text)
		blocks = append(blocks, *cur)
	}
	return blocks
}

func isClosingFence(s string, c byte, n int) bool {
	if len(s) < n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != c {
			return false
		}
	}
	return true
}

// pythonLangs are the info strings taken for Python.
var pythonLangs = map[string]bool{"python": true, "py": true, "python3": true, "py3": true, "ipython": true}

// ParseReply finds the plan and the Python program in a model's reply.
//
// The rule, in order:
//  1. Inline thinking is split off (see SplitThinking); only the answer is
//     searched. Line endings are normalised to "\n".
//  2. Fenced blocks tagged python (py, python3, ...) are the candidates;
//     when there are none, untagged blocks that look like Python are. Of
//     several candidates the longest is taken (ties: the later one): models
//     add short snippets (an install line, a usage example) or repeat the
//     program revised, and the full program is the longest. Blocks are not
//     concatenated, because a repeated program would then be defined twice.
//  3. Without any fenced candidate, unfenced code is taken: from the first
//     line that starts a Python program (import, from ... import, def,
//     class, a comment or a shebang) to the end, less trailing prose lines.
//  4. The plan is the prose before the chosen code, or, when there is none,
//     the prose after it.
//
// Code is a substring of Answer and never contains its fence lines.
func ParseReply(reply string) Reply {
	reply = strings.ReplaceAll(reply, "\r\n", "\n")
	reasoning, answer := SplitThinking(reply)
	r := Reply{Reasoning: reasoning, Answer: answer}
	blocks := fences(answer)
	var tagged, untagged []block
	for _, b := range blocks {
		switch {
		case pythonLangs[b.lang]:
			tagged = append(tagged, b)
		case b.lang == "" && looksLikePython(b.body):
			untagged = append(untagged, b)
		}
	}
	cands := tagged
	if len(cands) == 0 {
		cands = untagged
	}
	r.Blocks = len(cands)
	if len(cands) > 0 {
		best := cands[0]
		for _, b := range cands[1:] {
			if len(strings.TrimSpace(b.body)) >= len(strings.TrimSpace(best.body)) {
				best = b
			}
		}
		code := best.body
		if !best.closed {
			code = trimTrailingProse(code)
		}
		r.Code = trimBlankEdges(code)
		r.Complete = best.closed
		r.Plan = planAround(answer, best.start, best.end, blocks)
		if r.Code == "" {
			r.Plan = strings.TrimSpace(answer)
		}
		return r
	}
	if len(blocks) == 0 {
		if start, ok := codeStart(answer); ok {
			code := trimBlankEdges(trimTrailingProse(answer[start:]))
			if code != "" && looksLikePython(code) {
				r.Code = code
				r.Complete = true
				r.Blocks = 1
				r.Plan = strings.TrimSpace(answer[:start])
				if r.Plan == "" {
					r.Plan = strings.TrimSpace(answer[start+len(code):])
				}
				return r
			}
		}
	}
	r.Plan = strings.TrimSpace(answer)
	return r
}

// planAround is the prose before the block at [start, end), or after it
// when the text before is blank; other fenced blocks are left out.
func planAround(answer string, start, end int, blocks []block) string {
	prose := func(from, to int) string {
		var b strings.Builder
		at := from
		for _, bl := range blocks {
			if bl.end <= from || bl.start >= to {
				continue
			}
			if bl.start > at {
				b.WriteString(answer[at:bl.start])
			}
			at = max(at, bl.end)
		}
		if at < to {
			b.WriteString(answer[at:to])
		}
		return strings.TrimSpace(b.String())
	}
	if p := prose(0, start); p != "" {
		return p
	}
	return prose(end, len(answer))
}

// trimBlankEdges drops blank lines before and after the code, and trailing
// spaces of the last line, keeping the indentation of the first line.
func trimBlankEdges(s string) string {
	for {
		i := strings.IndexByte(s, '\n')
		if i < 0 || strings.TrimSpace(s[:i]) != "" {
			break
		}
		s = s[i+1:]
	}
	s = strings.TrimRight(s, " \t\n\r")
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return s
}

var (
	codeStartRe = regexp.MustCompile(`^(import\s+\w|from\s+[\w.]+\s+import\s|def\s+\w+\s*\(|class\s+\w+|#!|# |@\w)`)
	pyLineRe    = regexp.MustCompile(`^\s*(import\s|from\s+[\w.]+\s+import\s|def\s|class\s|if\s|for\s|while\s|with\s|try:|except|return\b|print\(|[A-Za-z_][\w.\[\]'"]*\s*(=|\+=|-=)\s*\S|[A-Za-z_][\w.]*\(.*\)\s*$|#)`)
	// proseRe is a line of at least three words with no code punctuation,
	// starting with a capital letter or a list marker.
	proseRe    = regexp.MustCompile(`^(\*\*|[-*] |\d+[.)] |[A-Z])[^=(){}\[\]<>#]*\s\S+\s\S+[^=(){}\[\]<>#]*$`)
	keywordsRe = regexp.MustCompile(`^(import|from|return|raise|pass|del|global|nonlocal|assert|yield|print|if|elif|else|for|while|with|try|except|finally|def|class|lambda|async|await|break|continue|True|False|None)\b`)
)

// lineAt returns where the line starting at pos ends (before its newline)
// and where the next line starts (len(s) after the last line).
func lineAt(s string, pos int) (end, next int) {
	i := strings.IndexByte(s[pos:], '\n')
	if i < 0 {
		return len(s), len(s)
	}
	return pos + i, pos + i + 1
}

// codeStart finds where a program without fences begins.
func codeStart(s string) (int, bool) {
	pos := 0
	for pos < len(s) {
		_, next := lineAt(s, pos)
		if codeStartRe.MatchString(s[pos:next]) {
			return pos, true
		}
		pos = next
	}
	return 0, false
}

// looksLikePython reports whether at least half the non-blank lines of s
// (and at least one) look like Python statements.
func looksLikePython(s string) bool {
	var code, total int
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		total++
		if pyLineRe.MatchString(line) || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t") {
			code++
		}
	}
	return total > 0 && 2*code >= total
}

// trimTrailingProse drops trailing lines that read as prose rather than
// code: unindented, not a comment, not starting with a Python keyword,
// words without code punctuation.
func trimTrailingProse(s string) string {
	lines := strings.SplitAfter(s, "\n")
	end := len(lines)
	for end > 0 {
		line := strings.TrimRight(lines[end-1], "\r\n")
		t := strings.TrimSpace(line)
		if t == "" {
			end--
			continue
		}
		if line != t || keywordsRe.MatchString(t) || !proseRe.MatchString(t) {
			break
		}
		end--
	}
	return strings.Join(lines[:end], "")
}
