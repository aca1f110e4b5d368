package results

import "sort"

// ModalityRow counts one run's finished items of one modality: how many a
// model solved and how many ended with a valid-format fallback (a best
// guess that models nothing), so a smoke run of every task says how much
// of the benchmark the agent actually modelled.
type ModalityRow struct {
	Run      string `json:"run"`
	Modality string `json:"modality"`
	Items    int    `json:"items"`
	Modelled int    `json:"modelled"`
	Fallback int    `json:"fallback"`
	// Valid counts valid submissions, AnyMedal medals (of the Items).
	Valid    int `json:"valid"`
	AnyMedal int `json:"any_medal"`
}

// modalityRows tallies the finished items of each run by modality; nil when
// no item records one (older runs, agents that do not say).
func modalityRows(runs []*Run, labels []string) []ModalityRow {
	var out []ModalityRow
	for i, run := range runs {
		by := map[string]*ModalityRow{}
		known := false
		for _, r := range run.Rows {
			if !finished(&r) {
				continue
			}
			m := r.Modality
			if m != "" {
				known = true
			} else {
				m = "unknown"
			}
			row := by[m]
			if row == nil {
				row = &ModalityRow{Run: labels[i], Modality: m}
				by[m] = row
			}
			row.Items++
			if r.Fallback {
				row.Fallback++
			} else if r.ValidSubmission {
				row.Modelled++
			}
			if r.ValidSubmission {
				row.Valid++
			}
			if r.AnyMedal {
				row.AnyMedal++
			}
		}
		if !known {
			continue
		}
		keys := make([]string, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, *by[k])
		}
	}
	return out
}

func (r *Report) modalityTable() table {
	t := table{
		title:  "Modalities (modelled: a model's valid submission; fallback: a valid-format best guess)",
		header: []string{"Run", "Modality", "Items", "Modelled", "Fallback", "Valid", "Any medal"},
		right:  []bool{false, false, true, true, true, true, true},
	}
	for _, m := range r.Modalities {
		t.rows = append(t.rows, []string{m.Run, m.Modality, itoa(m.Items), itoa(m.Modelled), itoa(m.Fallback),
			itoa(m.Valid), itoa(m.AnyMedal)})
	}
	return t
}
