package memory

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// stopWords are dropped by tokenize: common English words and words that
// every competition description uses, which say nothing about the task.
var stopWords = func() map[string]bool {
	words := `a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just let me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up upon us very was we were what
when where which while who whom why will with would you your yours yourself yourselves
use used using may must one two via per etc e g ie eg
competition competitions kaggle dataset datasets data file files csv submission submissions
sample train training test testing predict predicted predicting prediction predictions task
goal given provided row rows column columns id ids value values set sets example examples`
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}()

// urlRe matches web addresses, whose pieces ("https", "com", "utm") say
// nothing about a task.
var urlRe = regexp.MustCompile(`(?i)\b(?:https?|ftp)://\S*|\bwww\.\S*|\S+@\S+\.\w+`)

// tokenize lowercases s, drops web and mail addresses, splits it at
// anything but letters and digits, and drops stop words, single characters
// and pure numbers.
func tokenize(s string) []string {
	if strings.Contains(s, "://") || strings.Contains(s, "www.") || strings.Contains(s, "@") {
		s = urlRe.ReplaceAllString(s, " ")
	}
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		t := strings.ToLower(f)
		if len([]rune(t)) < 2 || stopWords[t] || isNumber(t) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func isNumber(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// Keywords extracts at most n keywords from a task description: its most
// frequent tokens (see tokenize), ties broken by first appearance.
func Keywords(description string, n int) []string {
	count := map[string]int{}
	first := map[string]int{}
	var uniq []string
	for i, t := range tokenize(description) {
		if _, ok := count[t]; !ok {
			first[t] = i
			uniq = append(uniq, t)
		}
		count[t]++
	}
	sort.SliceStable(uniq, func(i, j int) bool {
		a, b := uniq[i], uniq[j]
		if count[a] != count[b] {
			return count[a] > count[b]
		}
		return first[a] < first[b]
	})
	if len(uniq) > n {
		uniq = uniq[:n]
	}
	return uniq
}
