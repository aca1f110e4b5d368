package grader_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/grader/gradertest"
)

// benchGrade grades the same files b.N times and reports throughput over
// the submission and allocation per submission byte.
func benchGrade(b *testing.B, id, dataDir, sub string, subSize int64) {
	b.Helper()
	req := grader.Request{CompetitionID: id, SubmissionPath: sub, DataDir: dataDir}
	rep, err := grader.Grade(context.Background(), req)
	if err != nil || !rep.ValidSubmission {
		b.Fatalf("grade: %v %s", err, rep.Reason)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.SetBytes(subSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := grader.Grade(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(subSize), "alloc-B/sub-B")
	b.ReportMetric(float64(subSize)/1e6, "sub-MB")
}

// BenchmarkGradeROCAUC1M grades a 1,000,000-row binary ROC-AUC submission
// listed in the answers' order (the common case) and shuffled.
func BenchmarkGradeROCAUC1M(b *testing.B) {
	for _, shuffled := range []bool{false, true} {
		b.Run(fmt.Sprintf("shuffled=%v", shuffled), func(b *testing.B) {
			dir, sub, size := gradertest.AUCTask(b, 1_000_000, shuffled)
			benchGrade(b, "histopathologic-cancer-detection", dir, sub, size)
		})
	}
}

// BenchmarkGradeLogLoss100kx120 grades a 100,000-row x 120-class
// multi-class log-loss submission.
func BenchmarkGradeLogLoss100kx120(b *testing.B) {
	dir, sub, size := gradertest.LogLossTask(b, 100_000, 120)
	benchGrade(b, "dog-breed-identification", dir, sub, size)
}
