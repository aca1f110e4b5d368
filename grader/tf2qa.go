package grader

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// tensorflow2-question-answering: the answers are JSONL (the simplified
// Natural Questions format), so this grader reads the files itself.

type tf2qaGrader struct{}

// Grade is not used for this competition (GradeFiles is); it grades a
// submission against answers already flattened to a table, which only
// happens in misuse, so it refuses.
func (tf2qaGrader) Grade(sub, ans *Table) (float64, error) {
	return 0, errors.New("tensorflow2-question-answering answers are JSONL; grade the files")
}

// tf2qaExample is the part of one answers line the grader needs.
type tf2qaExample struct {
	ExampleID   json.RawMessage `json:"example_id"`
	Annotations []struct {
		LongAnswer struct {
			StartToken int64 `json:"start_token"`
			EndToken   int64 `json:"end_token"`
		} `json:"long_answer"`
		ShortAnswers []struct {
			StartToken int64 `json:"start_token"`
			EndToken   int64 `json:"end_token"`
		} `json:"short_answers"`
		YesNoAnswer string `json:"yes_no_answer"`
	} `json:"annotations"`
}

// tf2qaTruth is what one example accepts.
type tf2qaTruth struct {
	long  [][2]int64
	short [][2]int64
	yesNo string
}

// GradeFiles reads the JSONL answers, then scores the row-level
// correctness of the `<id>_long` and `<id>_short` predictions: the
// reference's micro-F1 over binary rows, which equals accuracy.
func (tf2qaGrader) GradeFiles(ctx context.Context, submissionPath, answersPath string) (float64, error) {
	truth, order, err := readTF2QAAnswers(ctx, answersPath)
	if err != nil {
		return 0, err
	}
	sub, err := ReadTableFile(submissionPath)
	if err != nil {
		return 0, err
	}
	return gradeTF2QA(sub, truth, order)
}

func readTF2QAAnswers(ctx context.Context, path string) (map[string]tf2qaTruth, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read answers: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	truth := map[string]tf2qaTruth{}
	var order []string
	for line := 1; ; line++ {
		if line%1000 == 0 && ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		var ex tf2qaExample
		if err := dec.Decode(&ex); err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("read answers %s, record %d: %w", path, line, err)
		}
		id := string(ex.ExampleID)
		var s string
		if json.Unmarshal(ex.ExampleID, &s) == nil {
			id = s
		}
		if len(ex.Annotations) == 0 {
			return nil, nil, fmt.Errorf("read answers %s, record %d: no annotations", path, line)
		}
		a := ex.Annotations[0]
		t := tf2qaTruth{yesNo: a.YesNoAnswer}
		if a.LongAnswer.StartToken != -1 {
			t.long = append(t.long, [2]int64{a.LongAnswer.StartToken, a.LongAnswer.EndToken})
		}
		for _, sa := range a.ShortAnswers {
			t.short = append(t.short, [2]int64{sa.StartToken, sa.EndToken})
		}
		truth[id] = t
		order = append(order, id)
	}
	return truth, order, nil
}

func gradeTF2QA(sub *Table, truth map[string]tf2qaTruth, order []string) (float64, error) {
	if sub.Len() != 2*len(order) {
		return 0, invalidf("submission has %d rows, expected %d (a _long and a _short row per example)", sub.Len(), 2*len(order))
	}
	if err := requireColumns(sub, "example_id", "PredictionString"); err != nil {
		return 0, err
	}
	empty := ""
	idc, _ := sub.Column("example_id")
	pc, _ := sub.Column("PredictionString")
	ids, preds := pyStrings(idc, &empty), pyStrings(pc, &empty)
	expected := make(map[string]bool, 2*len(order))
	for _, id := range order {
		expected[id+"_long"] = true
		expected[id+"_short"] = true
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		if !expected[id] {
			return 0, &InvalidSubmission{Row: i + 1, Column: "example_id", Reason: fmt.Sprintf("example_id %s is not <example_id>_long or _short of an answer example", quoteCell(id))}
		}
		if seen[id] {
			return 0, &InvalidSubmission{Row: i + 1, Column: "example_id", Reason: fmt.Sprintf("example_id %s appears twice", quoteCell(id))}
		}
		seen[id] = true
	}
	hits := 0
	for i, id := range ids {
		pred := strings.TrimSpace(preds[i])
		var span [2]int64
		isSpan := false
		if parts := strings.Split(pred, ":"); strings.Contains(pred, ":") && len(parts) == 2 {
			a, ok1 := pythonInt(parts[0])
			b, ok2 := pythonInt(parts[1])
			if !ok1 || !ok2 {
				return 0, &InvalidSubmission{Row: i + 1, Column: "PredictionString", Reason: fmt.Sprintf("%s is not start:end token indices", quoteCell(pred))}
			}
			span, isSpan = [2]int64{a, b}, true
		} else if pred != "YES" && pred != "NO" && pred != "" {
			return 0, &InvalidSubmission{Row: i + 1, Column: "PredictionString", Reason: fmt.Sprintf("invalid prediction %s: expected start:end, YES, NO or blank", quoteCell(pred))}
		}
		// As the reference: the example id is what precedes the first
		// "_long" (or "_short").
		isLong := strings.HasSuffix(id, "_long")
		cut := "_short"
		if isLong {
			cut = "_long"
		}
		t, ok := truth[id[:strings.Index(id, cut)]]
		if !ok {
			return 0, &InvalidSubmission{Row: i + 1, Column: "example_id", Reason: fmt.Sprintf("example_id %s does not name an answer example before its %s suffix", quoteCell(id), cut)}
		}
		spans, yesNo := t.long, ""
		if !isLong {
			spans = t.short
			if t.yesNo != "NONE" {
				yesNo = t.yesNo
			}
		}
		var correct bool
		switch {
		case pred == "":
			correct = len(spans) == 0 && yesNo == ""
		case isSpan:
			for _, s := range spans {
				correct = correct || s == span
			}
		default:
			correct = yesNo != "" && yesNo == pred
		}
		if correct {
			hits++
		}
	}
	return float64(hits) / float64(len(ids)), nil
}
