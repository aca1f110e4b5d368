package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// uniqueLabels returns the runs' labels, suffixed where two runs share one.
func uniqueLabels(runs []*Run) []string {
	seen := map[string]int{}
	for _, r := range runs {
		seen[r.Label]++
	}
	out := make([]string, len(runs))
	n := map[string]int{}
	for i, r := range runs {
		out[i] = r.Label
		if seen[r.Label] > 1 {
			n[r.Label]++
			out[i] = fmt.Sprintf("%s#%d", r.Label, n[r.Label])
		}
	}
	return out
}

func skippedWarning(label string, run *Run) string {
	first := run.Skipped[0]
	path := first.Path
	if rel, err := filepath.Rel(run.Dir, path); err == nil {
		path = rel
	}
	return fmt.Sprintf("run %s: skipped %d unreadable file(s) (corrupt or partial); first: %s: %v",
		label, len(run.Skipped), path, first.Err)
}

// groupRows splits a run's rows by the value of key.
func groupRows(run *Run, label, key string) ([]group, error) {
	if key == "" {
		return []group{{run: label, rows: run.Rows}}, nil
	}
	var cfg map[string]any
	cfgLoaded := false
	params := map[string]map[string]string{} // params JSON -> decoded
	byValue := map[string]*group{}
	var order []string
	for _, r := range run.Rows {
		p, ok := params[r.Params]
		if !ok {
			p = map[string]string{}
			if r.Params != "" {
				if err := json.Unmarshal([]byte(r.Params), &p); err != nil {
					return nil, fmt.Errorf("run %s item %d: parse params %q: %w", label, r.Item, r.Params, err)
				}
			}
			params[r.Params] = p
		}
		v, ok := p[key]
		if !ok {
			if !cfgLoaded {
				cfg, cfgLoaded = readRunConfig(run.Dir), true
			}
			v = configValue(cfg, key)
		}
		g := byValue[v]
		if g == nil {
			g = &group{run: label, value: v}
			byValue[v] = g
			order = append(order, v)
		}
		g.rows = append(g.rows, r)
	}
	sortValues(order)
	out := make([]group, len(order))
	for i, v := range order {
		out[i] = *byValue[v]
	}
	return out, nil
}

// sortValues sorts numerically when every value is a number.
func sortValues(vs []string) {
	nums := make(map[string]float64, len(vs))
	for _, v := range vs {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			sort.Strings(vs)
			return
		}
		nums[v] = f
	}
	sort.Slice(vs, func(i, j int) bool { return nums[vs[i]] < nums[vs[j]] })
}

// readRunConfig reads the run's effective config.yaml (nil when absent).
func readRunConfig(dir string) map[string]any {
	b, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		return nil
	}
	var m map[string]any
	if yaml.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

// configValue walks a dotted key through a decoded YAML document; "-" when
// absent.
func configValue(cfg map[string]any, key string) string {
	var cur any = cfg
	for _, part := range strings.Split(key, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "-"
		}
		if cur, ok = m[part]; !ok {
			return "-"
		}
	}
	switch v := cur.(type) {
	case nil:
		return "-"
	case map[string]any, []any:
		b, _ := json.Marshal(v)
		return string(b)
	default:
		return fmt.Sprint(v)
	}
}

// inSplit reports whether a row belongs to split.
func inSplit(r *ResultRow, split string) bool {
	return split == SplitAll || r.Split == split
}

// finished reports whether a row counts as a run.
func finished(r *ResultRow) bool {
	return r.Status == StateDone || r.Status == StateFailed
}

// bySeed orders rows of a task: seed, then item.
func bySeed(rows []*ResultRow) {
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Seed != rows[j].Seed {
			return rows[i].Seed < rows[j].Seed
		}
		return rows[i].Item < rows[j].Item
	})
}
