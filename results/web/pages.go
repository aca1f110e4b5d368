package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/mlbench/mlbench/results"
)

// firstRows is how many items the run page renders on the server; the
// page's script renders the rest (filtered, sorted, paged) from the API.
const firstRows = 100

var funcs = template.FuncMap{
	"pct": func(s results.Stat) string {
		if math.IsNaN(s.Mean) {
			return "–"
		}
		return fmt.Sprintf("%.1f ± %.1f", s.Mean, s.SEM)
	},
	"num": func(x float64, digits int) string {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "–"
		}
		return strconv.FormatFloat(x, 'f', digits, 64)
	},
	"opt": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return strconv.FormatFloat(*p, 'g', 5, 64)
	},
	"compact": func(x int64) string {
		switch {
		case x >= 1e9:
			return fmt.Sprintf("%.1fG", float64(x)/1e9)
		case x >= 1e6:
			return fmt.Sprintf("%.1fM", float64(x)/1e6)
		case x >= 1e3:
			return fmt.Sprintf("%.1fk", float64(x)/1e3)
		}
		return strconv.FormatInt(x, 10)
	},
	"mark":   func(n int) string { return map[bool]string{true: "*", false: ""}[n > 0] },
	"states": func() []string { return stateOrder },
	"params": func(p map[string]string) string {
		if len(p) == 0 {
			return ""
		}
		return results.ParamsJSON(p)
	},
	"percent": func(n, total int) int {
		if total == 0 {
			return 0
		}
		return n * 100 / total
	},
	"label": itemLabel,
}

// stateOrder is the order the pages list item states in.
var stateOrder = []string{results.StateDone, results.StateFailed, results.StateCancelled, results.StateRunning,
	stateInterrupted, "lost", "suspended", "requeued", "queued", "unqueued", results.StatePending}

// render executes a page template into a buffer first, so a template error
// becomes a clean 500 and never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, name string, data map[string]any) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, name, data); err != nil {
		s.opts.Log.Printf("web: render %s: %v", name, err)
		s.fail(w, r, http.StatusInternalServerError, "cannot render the page")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	acceptGzip(w, r)
	writeBody(w, http.StatusOK, buf.Bytes())
}

func (s *Server) runsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "runs.html", map[string]any{"Title": "Runs", "Page": "runs", "Runs": s.allReports(r.Context())})
}

func (s *Server) runPage(w http.ResponseWriter, r *http.Request) {
	rs := s.runOr404(w, r)
	if rs == nil {
		return
	}
	by := r.URL.Query().Get("by")
	snap, err := rs.snap(r.Context(), 0)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	rep, err := snapReport(snap, by)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	items := snap.Items
	// Unfinished items first: they are what a person watches.
	sort.SliceStable(items, func(i, j int) bool { return rank(items[i].State) < rank(items[j].State) })
	s.render(w, r, "run.html", map[string]any{
		"Title": "Run " + rs.name, "Page": "run", "Run": rs.name, "Report": rep, "Items": items[:min(len(items), firstRows)],
		"Total": len(items), "Version": snap.Version, "Splits": splitsOf(snap.Manifest), "By": by,
	})
}

func rank(state string) int {
	switch state {
	case results.StateRunning:
		return 0
	case stateInterrupted, "lost":
		return 1
	case results.StateFailed:
		return 2
	case results.StateDone:
		return 4
	}
	return 3
}

func splitsOf(m results.Manifest) []string {
	seen := map[string]bool{}
	var out []string
	for _, it := range m.Items {
		sp := it.Split
		if sp == "" {
			sp = "-"
		}
		if !seen[sp] {
			seen[sp] = true
			out = append(out, sp)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) itemPage(w http.ResponseWriter, r *http.Request) {
	rs, i, d, ok := s.itemOr404(w, r)
	if !ok {
		return
	}
	s.render(w, r, "item.html", map[string]any{
		"Title": fmt.Sprintf("%s · item %d", d.Item.TaskID, i), "Page": "item", "Run": rs.name, "D": d,
		"GradeJSON": d.GradeJSON, "Index": i,
	})
}

func (s *Server) comparePage(w http.ResponseWriter, r *http.Request) {
	names := r.URL.Query()["run"]
	by := r.URL.Query().Get("by")
	resp, err := s.compare(r.Context(), names, by)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	s.render(w, r, "compare.html", map[string]any{
		"Title": "Compare " + strings.Join(names, ", "), "Page": "compare", "C": resp, "Names": names, "By": by,
		"All": s.runNames(),
	})
}
