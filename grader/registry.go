package grader

import (
	"bufio"
	"bytes"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/competitions.csv data/medal_thresholds.csv data/splits/*.txt
var dataFS embed.FS

// ErrNotFound is returned when a competition id is not in the registry.
var ErrNotFound = errors.New("grader: competition not found")

// Competition is one MLE-Bench competition as the reference registry knows it.
type Competition struct {
	ID               string
	Name             string
	Split            string // low, medium, high or dev
	GraderName       string // the metric name of the reference config
	Answers          string // answers path relative to the data dir
	SampleSubmission string // sample submission path relative to the data dir
	AwardsMedals     bool
	Type             string
	LowerIsBetter    bool
}

// Thresholds are the medal thresholds of a competition.
type Thresholds struct {
	Gold          float64 `json:"gold_threshold"`
	Silver        float64 `json:"silver_threshold"`
	Bronze        float64 `json:"bronze_threshold"`
	Median        float64 `json:"median_threshold"`
	LowerIsBetter bool    `json:"is_lower_better"`
}

// UnknownError says that an id is not known, with the closest known id.
type UnknownError struct {
	Kind    string // "competition" or "suite"
	Name    string
	Closest string
}

func (e *UnknownError) Error() string {
	if e.Closest != "" {
		return fmt.Sprintf("unknown %s %q; did you mean %q?", e.Kind, e.Name, e.Closest)
	}
	return fmt.Sprintf("unknown %s %q", e.Kind, e.Name)
}

// Unwrap lets errors.Is(err, ErrNotFound) match unknown competitions.
func (e *UnknownError) Unwrap() error {
	if e.Kind == "competition" {
		return ErrNotFound
	}
	return nil
}

type registry struct {
	byID       map[string]Competition
	ids        []string // sorted
	thresholds map[string]Thresholds
	splits     map[string][]string
}

var (
	regOnce sync.Once
	reg     *registry
	regErr  error
)

func load() (*registry, error) {
	regOnce.Do(func() { reg, regErr = parseRegistry() })
	return reg, regErr
}

func parseRegistry() (*registry, error) {
	r := &registry{byID: map[string]Competition{}, thresholds: map[string]Thresholds{}, splits: map[string][]string{}}
	rows, err := readCSV("data/competitions.csv")
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		c := Competition{
			ID: row["competition_id"], Name: row["name"], Split: row["split"],
			GraderName: row["grader_name"], Answers: row["answers"], SampleSubmission: row["sample_submission"],
			AwardsMedals: strings.EqualFold(row["awards_medals"], "true"), Type: row["competition_type"],
			LowerIsBetter: strings.EqualFold(row["is_lower_better"], "true"),
		}
		r.byID[c.ID] = c
		r.ids = append(r.ids, c.ID)
	}
	sort.Strings(r.ids)
	rows, err = readCSV("data/medal_thresholds.csv")
	if err != nil {
		return nil, err
	}
	for _, row := range rows {
		var t Thresholds
		var perr error
		parse := func(k string) float64 {
			v, err := strconv.ParseFloat(row[k], 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("medal thresholds of %s: %s: %w", row["competition_id"], k, err)
			}
			return v
		}
		t.Gold, t.Silver, t.Bronze, t.Median = parse("gold_threshold"), parse("silver_threshold"), parse("bronze_threshold"), parse("median_threshold")
		t.LowerIsBetter = strings.EqualFold(row["is_lower_better"], "true")
		if perr != nil {
			return nil, perr
		}
		r.thresholds[row["competition_id"]] = t
	}
	for name, file := range map[string]string{"split75": "all", "low": "low", "medium": "medium", "high": "high", "dev": "dev"} {
		ids, err := readLines(dataFS, "data/splits/"+name+".txt")
		if err != nil {
			return nil, err
		}
		r.splits[file] = ids
	}
	return r, nil
}

func readCSV(name string) ([]map[string]string, error) {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read embedded %s: %w", name, err)
	}
	cr := csv.NewReader(bytes.NewReader(b))
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read embedded %s: %w", name, err)
	}
	var out []map[string]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", name, err)
		}
		m := make(map[string]string, len(header))
		for i, h := range header {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
}

type fileReader interface {
	ReadFile(name string) ([]byte, error)
}

// readLines reads one id per line, skipping blanks and # comments.
func readLines(fsys fileReader, name string) ([]string, error) {
	b, err := fsys.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return parseIDList(b), nil
}

func parseIDList(b []byte) []string {
	var ids []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line != "" {
			ids = append(ids, line)
		}
	}
	return ids
}

// Lookup returns the competition with the given id, or an *UnknownError
// (matching ErrNotFound) that names the closest known id.
func Lookup(id string) (Competition, error) {
	r, err := load()
	if err != nil {
		return Competition{}, err
	}
	if c, ok := r.byID[id]; ok {
		return c, nil
	}
	return Competition{}, &UnknownError{Kind: "competition", Name: id, Closest: Closest(id, r.ids)}
}

// All returns every known competition (the 75 of the benchmark and the 7
// dev competitions), sorted by id.
func All() []Competition {
	r, err := load()
	if err != nil {
		return nil
	}
	out := make([]Competition, 0, len(r.ids))
	for _, id := range r.ids {
		out = append(out, r.byID[id])
	}
	return out
}

// BuiltinThresholds returns the medal thresholds computed from the real
// Kaggle leaderboards, for use when no leaderboard file is at hand.
func BuiltinThresholds(id string) (Thresholds, bool) {
	r, err := load()
	if err != nil {
		return Thresholds{}, false
	}
	t, ok := r.thresholds[id]
	return t, ok
}

// SuiteNames lists the built-in suites of MLE-Bench competitions.
var SuiteNames = []string{"mle-bench-full", "mle-bench-lite", "low", "medium", "high", "dev"}

// Suite resolves a built-in suite name, or "file:PATH" (one id per line,
// # comments), to competition ids. Every id of a file is checked against the
// registry. The "demo" suite is not a competition suite; callers resolve it.
func Suite(name string) ([]string, error) {
	r, err := load()
	if err != nil {
		return nil, err
	}
	var ids []string
	switch name {
	case "mle-bench-full", "all", "split75":
		ids = r.splits["all"]
	case "mle-bench-lite", "lite", "low":
		ids = r.splits["low"]
	case "medium", "high", "dev":
		ids = r.splits[name]
	default:
		path, ok := strings.CutPrefix(name, "file:")
		if !ok {
			return nil, &UnknownError{Kind: "suite", Name: name, Closest: Closest(name, append([]string{"demo"}, SuiteNames...))}
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read suite file: %w", err)
		}
		ids = parseIDList(b)
		if len(ids) == 0 {
			return nil, fmt.Errorf("suite file %s lists no competition ids", path)
		}
		for i, id := range ids {
			if _, ok := r.byID[id]; !ok {
				return nil, fmt.Errorf("suite file %s, entry %d: %w", path, i+1, &UnknownError{Kind: "competition", Name: id, Closest: Closest(id, r.ids)})
			}
		}
	}
	return append([]string(nil), ids...), nil
}

// Closest returns the candidate nearest to s by edit distance, or "" when
// nothing is close enough to be a plausible typo.
func Closest(s string, candidates []string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := levenshteinStr(strings.ToLower(s), strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(3, len(s)/3) {
		return ""
	}
	return best
}
