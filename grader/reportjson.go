package grader

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Reports are read by Python (MLE-Bench's tools load grade.json and the
// grading report with json.load) and by Go. Python's json writes NaN,
// Infinity and -Infinity as bare tokens, which encoding/json neither writes
// nor reads, so the Report and Aggregate types write their JSON themselves
// and MarshalIndent and DecodeJSON handle whole documents holding them.

// createdAtLayout is Python's datetime.isoformat() of a naive local time.
const createdAtLayout = "2006-01-02T15:04:05.000000"

// appendNumber writes x as Python's json module does for a float: the
// shortest decimal, NaN, Infinity or -Infinity.
func appendNumber(b []byte, x float64) []byte {
	switch {
	case math.IsNaN(x):
		return append(b, "NaN"...)
	case math.IsInf(x, 1):
		return append(b, "Infinity"...)
	case math.IsInf(x, -1):
		return append(b, "-Infinity"...)
	}
	v, _ := json.Marshal(x) // finite: cannot fail
	return append(b, v...)
}

// jsonObject appends the members of one JSON object in order.
type jsonObject struct{ b []byte }

func (o *jsonObject) key(k string) {
	if len(o.b) == 0 {
		o.b = append(o.b, '{')
	} else {
		o.b = append(o.b, ',')
	}
	kb, _ := json.Marshal(k)
	o.b = append(append(o.b, kb...), ':')
}

func (o *jsonObject) str(k, v string) {
	o.key(k)
	vb, _ := json.Marshal(v) // strings cannot fail
	o.b = append(o.b, vb...)
}

func (o *jsonObject) num(k string, v float64) { o.key(k); o.b = appendNumber(o.b, v) }

func (o *jsonObject) boolean(k string, v bool) { o.key(k); o.b = strconv.AppendBool(o.b, v) }

func (o *jsonObject) raw(k string, v []byte) { o.key(k); o.b = append(o.b, v...) }

func (o *jsonObject) bytes() []byte { return append(o.b, '}') }

// MarshalJSON writes the reference's CompetitionReport: its field names
// and order, created_at in Python's isoformat, and the score as Python's
// json writes it: null for no score (an invalid submission), NaN, Infinity
// or -Infinity for a valid submission whose metric is not finite.
// Unknown (NaN) thresholds are written as null. encoding/json refuses the
// non-finite tokens inside a larger document: write such documents with
// MarshalIndent and read them with DecodeJSON.
func (r Report) MarshalJSON() ([]byte, error) {
	var o jsonObject
	o.str("competition_id", r.CompetitionID)
	if r.Score == nil {
		o.raw("score", []byte("null"))
	} else {
		o.num("score", *r.Score)
	}
	for _, t := range []struct {
		k string
		v float64
	}{{"gold_threshold", r.GoldThreshold}, {"silver_threshold", r.SilverThreshold}, {"bronze_threshold", r.BronzeThreshold}, {"median_threshold", r.MedianThreshold}} {
		if math.IsNaN(t.v) {
			o.raw(t.k, []byte("null"))
		} else {
			o.num(t.k, t.v)
		}
	}
	o.boolean("any_medal", r.AnyMedal)
	o.boolean("gold_medal", r.GoldMedal)
	o.boolean("silver_medal", r.SilverMedal)
	o.boolean("bronze_medal", r.BronzeMedal)
	o.boolean("above_median", r.AboveMedian)
	o.boolean("submission_exists", r.SubmissionExists)
	o.boolean("valid_submission", r.ValidSubmission)
	o.boolean("is_lower_better", r.IsLowerBetter)
	o.str("created_at", r.CreatedAt.Format(createdAtLayout))
	o.str("submission_path", r.SubmissionPath)
	if r.Reason != "" {
		o.str("reason", r.Reason)
	}
	if len(r.Warnings) > 0 {
		b, err := json.Marshal(r.Warnings)
		if err != nil {
			return nil, err
		}
		o.raw("warnings", b)
	}
	return o.bytes(), nil
}

// jsonFloat reads a number, null (NaN) or a quoted non-finite token that
// QuoteNonFinite made of Python's bare one.
type jsonFloat float64

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null", `"NaN"`:
		*f = jsonFloat(math.NaN())
		return nil
	case `"Infinity"`:
		*f = jsonFloat(math.Inf(1))
		return nil
	case `"-Infinity"`:
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

// reportJSON is Report as read from JSON: the fields that need more than
// encoding/json's default shadow Report's own.
type reportJSON struct {
	plainReport
	Score           *jsonFloat `json:"score"`
	GoldThreshold   jsonFloat  `json:"gold_threshold"`
	SilverThreshold jsonFloat  `json:"silver_threshold"`
	BronzeThreshold jsonFloat  `json:"bronze_threshold"`
	MedianThreshold jsonFloat  `json:"median_threshold"`
	CreatedAt       string     `json:"created_at"`
}

// plainReport is Report without its JSON methods.
type plainReport Report

// UnmarshalJSON reads a report written by MarshalJSON or by the reference
// (whose created_at may carry a time zone). Its input must be valid JSON:
// a document with Python's bare NaN or Infinity goes through DecodeJSON.
// A null score on a valid submission (older mlbench files) is NaN; a
// missing threshold is NaN.
func (r *Report) UnmarshalJSON(b []byte) error {
	j := reportJSON{GoldThreshold: jsonFloat(math.NaN()), SilverThreshold: jsonFloat(math.NaN()),
		BronzeThreshold: jsonFloat(math.NaN()), MedianThreshold: jsonFloat(math.NaN())}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Report(j.plainReport)
	r.GoldThreshold, r.SilverThreshold = float64(j.GoldThreshold), float64(j.SilverThreshold)
	r.BronzeThreshold, r.MedianThreshold = float64(j.BronzeThreshold), float64(j.MedianThreshold)
	r.Score, r.CreatedAt = nil, time.Time{}
	if j.Score != nil {
		s := float64(*j.Score)
		r.Score = &s
	} else if j.ValidSubmission {
		s := math.NaN()
		r.Score = &s
	}
	if j.CreatedAt != "" {
		for _, layout := range []string{createdAtLayout, "2006-01-02T15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05.999999-07:00"} {
			if t, err := time.ParseInLocation(layout, j.CreatedAt, time.Local); err == nil {
				r.CreatedAt = t
				break
			}
		}
	}
	return nil
}

// MarshalJSON writes the reference's aggregate report; its competition
// reports are written by Report.MarshalJSON.
func (a Aggregate) MarshalJSON() ([]byte, error) {
	var o jsonObject
	for _, f := range []struct {
		k string
		v int
	}{{"total_runs", a.TotalRuns}, {"total_runs_with_submissions", a.TotalRunsWithSubmissions},
		{"total_valid_submissions", a.TotalValidSubmissions}, {"total_medals", a.TotalMedals},
		{"total_gold_medals", a.TotalGoldMedals}, {"total_silver_medals", a.TotalSilverMedals},
		{"total_bronze_medals", a.TotalBronzeMedals}, {"total_above_median", a.TotalAboveMedian}} {
		o.raw(f.k, strconv.AppendInt(nil, int64(f.v), 10))
	}
	list := []byte{'['}
	for i, r := range a.CompetitionReports {
		if i > 0 {
			list = append(list, ',')
		}
		b, _ := r.MarshalJSON() // cannot fail
		list = append(list, b...)
	}
	o.raw("competition_reports", append(list, ']'))
	return o.bytes(), nil
}

// MarshalIndent is json.MarshalIndent with two-space indentation that also
// takes a value whose MarshalJSON writes Python's non-finite tokens (a
// Report, an Aggregate), which encoding/json would reject.
func MarshalIndent(v any) ([]byte, error) {
	m, ok := v.(json.Marshaler)
	if !ok {
		return json.MarshalIndent(v, "", "  ")
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return indentJSON(b), nil
}

// DecodeJSON is json.Unmarshal for documents that may hold Python's bare
// NaN, Infinity and -Infinity (grade.json, grading reports): Report reads
// them as the numbers they are.
func DecodeJSON(b []byte, v any) error {
	return json.Unmarshal(QuoteNonFinite(b), v)
}

// nonFinite are Python's tokens and their quoted stand-ins, longest first
// so that -Infinity is not read as - and Infinity.
var nonFinite = []struct{ bare, quoted string }{
	{"-Infinity", `"-Infinity"`}, {"Infinity", `"Infinity"`}, {"NaN", `"NaN"`},
}

// QuoteNonFinite turns the bare NaN, Infinity and -Infinity tokens outside
// strings into the strings "NaN", "Infinity" and "-Infinity", so that
// encoding/json accepts the document; strings are left alone.
func QuoteNonFinite(b []byte) []byte {
	if !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")) {
		return b
	}
	out := make([]byte, 0, len(b)+16)
next:
	for i := 0; i < len(b); i++ {
		if b[i] == '"' {
			j := stringEnd(b, i)
			out = append(out, b[i:j]...)
			i = j - 1
			continue
		}
		for _, t := range nonFinite {
			if bytes.HasPrefix(b[i:], []byte(t.bare)) {
				out = append(out, t.quoted...)
				i += len(t.bare) - 1
				continue next
			}
		}
		out = append(out, b[i])
	}
	return out
}

// stringEnd returns the index just past the JSON string that starts with
// the quote at b[i] (len(b) when it is not closed).
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// indentJSON indents a compact JSON document (bare non-finite tokens
// included) as json.MarshalIndent would with two spaces.
func indentJSON(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/4)
	depth := 0
	newline := func() {
		out = append(out, '\n')
		for range depth {
			out = append(out, "  "...)
		}
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			j := stringEnd(b, i)
			out = append(out, b[i:j]...)
			i = j - 1
		case '{', '[':
			if i+1 < len(b) && (b[i+1] == '}' || b[i+1] == ']') {
				out = append(out, c, b[i+1])
				i++
				continue
			}
			out = append(out, c)
			depth++
			newline()
		case '}', ']':
			depth--
			newline()
			out = append(out, c)
		case ',':
			out = append(out, c)
			newline()
		case ':':
			out = append(out, ':', ' ')
		case ' ', '\t', '\n', '\r':
		default:
			out = append(out, c)
		}
	}
	return out
}
